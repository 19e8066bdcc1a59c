package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.UsersFile;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** berth passwd with the password on stdin, as a script or a test gives it. */
class PasswdCommandTest {

  @TempDir Path tmp;

  private record Run(int exit, String out, String err) {}

  private static Run passwd(String stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        new CommandLine(
                new PasswdCommand(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8))))
            .setOut(new PrintWriter(out, true))
            .setErr(new PrintWriter(err, true))
            .execute(args);
    return new Run(exit, out.toString().strip(), err.toString().strip());
  }

  @Test
  void makesANewFileOnlyItsOwnerReads() throws Exception {
    Path file = tmp.resolve("site.htpasswd");
    Run run = passwd("s3cret\n", file.toString(), "alice");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).isEqualTo(file + ": added alice");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    UsersFile.Parsed parsed = UsersFile.parse("site.htpasswd", Files.readString(file));
    assertThat(parsed.problems()).isEmpty();
    String hash = parsed.users().get("alice");
    assertThat(hash).startsWith("$2y$10$");
    assertThat(OpenBSDBCrypt.checkPassword(hash, "s3cret".toCharArray())).isTrue();
  }

  @Test
  void changesOneUserAndKeepsEverythingElse() throws Exception {
    Path file = tmp.resolve("users");
    Files.writeString(file, "# team\nalice:old\nbob:keep\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    Run run = passwd("new pass\r\n", file.toString(), "alice");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).isEqualTo(file + ": set the password of alice");
    String text = Files.readString(file);
    assertThat(text).startsWith("# team\nalice:$2y$10$").endsWith("\nbob:keep\n");
    String hash = text.lines().filter(l -> l.startsWith("alice:")).findFirst().orElseThrow();
    assertThat(OpenBSDBCrypt.checkPassword(hash.substring(6), "new pass".toCharArray())).isTrue();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-r-----");
    try (var files = Files.list(tmp)) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  void badInputGetsOneLineAndNothingIsWritten() {
    Path file = tmp.resolve("users");
    assertThat(passwd("pw\n", file.toString(), "a:b"))
        .isEqualTo(
            new Run(
                2,
                "",
                "berth passwd: user a:b: not a user name (expected: no \":\", spaces or control"
                    + " characters)"));
    assertThat(passwd("\n", file.toString(), "alice"))
        .isEqualTo(
            new Run(
                2, "", "berth passwd: a password of 0 bytes (expected: 1 to 72, bcrypt's limit)"));
    assertThat(passwd("x".repeat(73), file.toString(), "alice").err())
        .isEqualTo("berth passwd: a password of 73 bytes (expected: 1 to 72, bcrypt's limit)");
    assertThat(file).doesNotExist();
    Run noDir = passwd("pw\n", tmp.resolve("no/such/users").toString(), "alice");
    assertThat(noDir.exit()).isEqualTo(1);
    assertThat(noDir.err())
        .isEqualTo(
            "berth passwd: " + tmp.resolve("no/such/users") + ": cannot write: no such directory");
  }
}
