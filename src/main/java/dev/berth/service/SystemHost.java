package dev.berth.service;

import dev.berth.process.CommandResult;
import dev.berth.process.ShortCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The machine berth runs on. */
public final class SystemHost implements Host {

  private static final List<String> BIN_DIRS =
      List.of("/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin");

  @Override
  public int uid() {
    // The effective uid, the second field of "Uid:"; /proc/self is owned by it too.
    for (String line : read(Path.of("/proc/self/status")).orElse("").split("\n")) {
      if (line.startsWith("Uid:")) {
        return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
      }
    }
    throw new IllegalStateException("cannot read the uid from /proc/self/status");
  }

  @Override
  public String userName() {
    return System.getProperty("user.name");
  }

  @Override
  public Map<String, String> env() {
    return System.getenv();
  }

  @Override
  public Optional<Account> account(String name) {
    Optional<String> entry = getent("passwd", name);
    if (entry.isEmpty()) {
      return Optional.empty();
    }
    String[] fields = entry.get().split(":", -1);
    if (fields.length < 7) {
      return Optional.empty();
    }
    String gid = fields[3];
    String group = getent("group", gid).map(g -> g.split(":", -1)[0]).orElse(gid);
    return Optional.of(
        new Account(fields[0], Integer.parseInt(fields[2]), group, Path.of(fields[5])));
  }

  /** One line of {@code getent DATABASE KEY}, through NSS, so LDAP and NIS users are found too. */
  private Optional<String> getent(String database, String key) {
    if (key.isEmpty() || key.startsWith("-")) {
      return Optional.empty();
    }
    Optional<Path> getent = program("getent");
    if (getent.isEmpty()) {
      return Optional.empty();
    }
    try {
      Result result = run(List.of(getent.get().toString(), database, key), null);
      Optional<String> line = result.output().lines().filter(l -> !l.isBlank()).findFirst();
      return result.exit() == 0 ? line : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  @Override
  public Optional<String> owner(Path file) {
    try {
      return Optional.of(Files.getOwner(file).getName());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  @Override
  public boolean exists(Path path) {
    return Files.exists(path);
  }

  @Override
  public Optional<String> read(Path file) {
    // Through a stream: Files.readString reads /proc/sys files (size 0) one byte short of whole.
    try (var in = Files.newInputStream(file)) {
      return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException | UncheckedIOException e) {
      return Optional.empty();
    }
  }

  @Override
  public Optional<Path> program(String name) {
    List<String> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(":")));
    }
    dirs.addAll(BIN_DIRS);
    for (String dir : dirs) {
      if (dir.startsWith("/")) {
        Path candidate = Path.of(dir, name);
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }

  @Override
  public Optional<Path> berthHome() {
    // The launcher exports BERTH_HOME. Run otherwise (java -jar target/berth.jar, or from
    // target/classes in tests), berth is two levels above the jar or classes directory.
    String home = System.getenv("BERTH_HOME");
    if (home != null && !home.isBlank()) {
      return Optional.of(Path.of(home).toAbsolutePath().normalize());
    }
    try {
      Path code =
          Path.of(SystemHost.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path dir = code.getParent() == null ? null : code.getParent().getParent();
      if (dir != null && Files.isExecutable(dir.resolve("berth"))) {
        return Optional.of(dir);
      }
    } catch (URISyntaxException | RuntimeException e) {
      // Unknown.
    }
    return Optional.empty();
  }

  @Override
  public Path java() {
    return Path.of(System.getProperty("java.home"), "bin", "java");
  }

  @Override
  public void write(Path file, String content, String mode) throws IOException {
    Files.createDirectories(file.getParent());
    Path temporary = file.resolveSibling("." + file.getFileName() + ".berth-tmp");
    Files.writeString(
        temporary,
        content,
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING);
    Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString(mode));
    Files.move(
        temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  @Override
  public void delete(Path file) throws IOException {
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      Files.delete(file);
    }
  }

  @Override
  public Result run(List<String> command, String stdin) throws IOException {
    CommandResult result =
        ShortCommand.of(command)
            .named(String.join(" ", command))
            .mergeStderr()
            .stdin(stdin)
            .timeout(Duration.ofMinutes(5))
            .run();
    return new Result(result.exitCode(), result.stdout());
  }
}
