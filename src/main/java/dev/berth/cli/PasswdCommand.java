package dev.berth.cli;

import dev.berth.access.Passwords;
import dev.berth.config.UsersFile;
import java.io.ByteArrayOutputStream;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code berth passwd FILE USER}: sets a user's password in an htpasswd file for a route's
 * basic_auth. Needs no running berth, and no config.
 */
@Command(
    name = "passwd",
    description = {
      "Set a user's password in an htpasswd file for basic_auth.",
      "Asks for it twice on a terminal; reads one line from stdin otherwise.",
      "Writes a bcrypt line (cost "
          + Passwords.COST
          + "), keeps the file's other lines,"
          + " makes a new file 0600.",
      "A running berth reads the file again at berth reload."
    })
final class PasswdCommand implements Callable<Integer> {

  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "FILE", description = "The htpasswd file.")
  Path file;

  @Parameters(index = "1", paramLabel = "USER", description = "The user name.")
  String user;

  @Option(
      names = "--stdin",
      description = "Read the password from stdin (one line) even on a terminal.")
  boolean stdin;

  private final InputStream in;

  PasswdCommand() {
    this(System.in);
  }

  /** With this stdin (tests). */
  PasswdCommand(InputStream in) {
    this.in = in;
  }

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    if (!UsersFile.validUser(user)) {
      return fail(
          err,
          BerthCommand.EXIT_USAGE,
          "user " + user + ": not a user name (expected: no \":\", spaces or control characters)");
    }
    byte[] password;
    try {
      password = readPassword();
    } catch (IOException e) {
      return fail(err, BerthCommand.EXIT_FAILED, "cannot read the password: " + e.getMessage());
    }
    if (password == null) {
      return fail(err, BerthCommand.EXIT_FAILED, "the passwords do not match; nothing changed");
    }
    try {
      if (password.length == 0 || password.length > Passwords.MAX_PASSWORD_BYTES) {
        return fail(
            err,
            BerthCommand.EXIT_USAGE,
            "a password of "
                + password.length
                + " bytes (expected: 1 to "
                + Passwords.MAX_PASSWORD_BYTES
                + ", bcrypt's limit)");
      }
      String hash = Passwords.hash(password, Passwords.COST);
      boolean existed = write(hash);
      spec.commandLine()
          .getOut()
          .println(file + ": " + (existed ? "set the password of " : "added ") + user);
      return 0;
    } catch (IOException e) {
      return fail(err, BerthCommand.EXIT_FAILED, file + ": cannot write: " + reason(e));
    } finally {
      Arrays.fill(password, (byte) 0);
    }
  }

  /** The password: asked twice on a terminal (null when they differ), else stdin's first line. */
  private byte[] readPassword() throws IOException {
    Console console = System.console();
    if (stdin || in != System.in || !isTerminal(console)) {
      return firstLine(in);
    }
    char[] first = console.readPassword("Password for %s: ", user);
    char[] second = first == null ? null : console.readPassword("Again: ");
    if (first == null || second == null) {
      throw new IOException("no password given");
    }
    try {
      if (!Arrays.equals(first, second)) {
        return null;
      }
      var encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(first));
      byte[] bytes = new byte[encoded.remaining()];
      encoded.get(bytes);
      return bytes;
    } finally {
      Arrays.fill(first, ' ');
      Arrays.fill(second, ' ');
    }
  }

  /**
   * Since JDK 22 System.console() is there even when stdin is a pipe; Console.isTerminal() says
   * whether it is one (called by reflection: berth compiles for 21).
   */
  static boolean isTerminal(Console console) {
    if (console == null) {
      return false;
    }
    try {
      return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException e) {
      return true; // JDK 21: a console is only there on a terminal
    }
  }

  /** Bytes up to the first newline (a CR before it dropped), or all of them. */
  private static byte[] firstLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      if (line.size() > 4096) {
        throw new IOException("the line is too long");
      }
      line.write(b);
    }
    byte[] bytes = line.toByteArray();
    if (bytes.length > 0 && bytes[bytes.length - 1] == '\r') {
      return Arrays.copyOf(bytes, bytes.length - 1);
    }
    return bytes;
  }

  /**
   * Writes the file with the user's new line, through a file beside it that is moved over it, so
   * that a berth reading it meanwhile sees the old or the new one whole. A new file is 0600; an
   * existing one keeps its permissions.
   *
   * @return whether the file existed
   */
  private boolean write(String hash) throws IOException {
    Path target = file.toAbsolutePath();
    String text;
    Set<PosixFilePermission> permissions = OWNER_ONLY;
    boolean existed;
    try {
      text = Files.readString(target, StandardCharsets.UTF_8);
      permissions = Files.getPosixFilePermissions(target);
      existed = text.lines().anyMatch(line -> line.startsWith(user + ":"));
    } catch (NoSuchFileException e) {
      text = "";
      existed = false;
    }
    Path dir = target.getParent();
    Path temp =
        Files.createTempFile(
            dir,
            "." + target.getFileName(),
            ".tmp",
            PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    try {
      Files.writeString(temp, UsersFile.withUser(text, user, hash), StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(temp, permissions);
      try {
        Files.move(
            temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
    return existed;
  }

  private static String reason(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such directory";
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private static int fail(PrintWriter err, int exit, String message) {
    err.println("berth passwd: " + message);
    err.flush();
    return exit;
  }
}
