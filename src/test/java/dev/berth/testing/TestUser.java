package dev.berth.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An unprivileged Unix user made by a test running as root ({@code useradd}), with its home in a
 * directory of the test's, and commands run as that user ({@code setpriv}, with its groups). {@link
 * #close()} ends every process the user still has and removes the user and its group.
 */
public final class TestUser implements AutoCloseable {

  private static final String MARKER = LeftoverProcesses.MARKER;

  /** What a login shell of the user would have on PATH: Debian's gunicorn and python3 first. */
  public static final String PATH = "/usr/local/bin:/usr/bin:/bin";

  private final String name;
  private final int uid;
  private final int gid;
  private final Path home;

  private TestUser(String name, int uid, int gid, Path home) {
    this.name = name;
    this.uid = uid;
    this.gid = gid;
    this.home = home;
  }

  /**
   * A new user named {@code prefix} and random letters (so that runs side by side, or a run that
   * was killed, do not collide), with a group of its own and the home {@code homes/NAME}, mode 0755
   * as Debian's adduser makes homes.
   */
  public static TestUser create(String prefix, Path homes) throws Exception {
    String name =
        prefix + HexFormat.of().toHexDigits((byte) ThreadLocalRandom.current().nextInt(256));
    name += HexFormat.of().toHexDigits((byte) ThreadLocalRandom.current().nextInt(256));
    Files.createDirectories(homes);
    Path home = homes.resolve(name);
    Exec.ok(
        homes,
        "useradd",
        "--user-group",
        "--create-home",
        "--home-dir",
        home.toString(),
        "--shell",
        "/bin/sh",
        name);
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
    int uid = Integer.parseInt(Exec.ok(homes, "id", "-u", name).strip());
    int gid = Integer.parseInt(Exec.ok(homes, "id", "-g", name).strip());
    return new TestUser(name, uid, gid, home);
  }

  public String name() {
    return name;
  }

  public int uid() {
    return uid;
  }

  public Path home() {
    return home;
  }

  /**
   * The command line that runs {@code command} as this user, with its supplementary groups, in the
   * environment of a login of the user plus {@code env} (and the marker of this test run's
   * processes, {@link LeftoverProcesses}), nothing of root's.
   */
  public List<String> command(Map<String, String> env, List<String> command) {
    Map<String, String> vars = new TreeMap<>();
    vars.put("HOME", home.toString());
    vars.put("USER", name);
    vars.put("LOGNAME", name);
    vars.put("SHELL", "/bin/sh");
    vars.put("PATH", PATH);
    vars.put("LANG", "C.UTF-8");
    vars.put(MARKER, LeftoverProcesses.mark(new ProcessBuilder()).environment().get(MARKER));
    vars.putAll(env);
    List<String> argv = new ArrayList<>();
    argv.addAll(
        List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--init-groups", "--", "env", "-i"));
    vars.forEach((k, v) -> argv.add(k + "=" + v));
    argv.addAll(requireNonNull(command, "command"));
    return argv;
  }

  /** Runs {@code command} as this user, in its home, to its end (within two minutes). */
  public Exec run(String... command) throws IOException, InterruptedException {
    return run(Map.of(), command);
  }

  /** {@link #run(String...)} of a command line in a list. */
  public Exec run(List<String> command) throws IOException, InterruptedException {
    return run(Map.of(), command.toArray(String[]::new));
  }

  /** {@link #run(String...)} with these variables added to the user's. */
  public Exec run(Map<String, String> env, String... command)
      throws IOException, InterruptedException {
    return Exec.run(home, Map.of(), Duration.ofMinutes(2), command(env, List.of(command)));
  }

  /** Chowns {@code path} (recursively) to this user and its group. */
  public void own(Path path) throws IOException, InterruptedException {
    Exec.ok(path.getParent(), "chown", "-R", uid + ":" + gid, path.toString());
  }

  /** Ends whatever the user still runs (the test is its only user), then removes it. */
  @Override
  public void close() throws Exception {
    for (int round = 0; round < 50 && !processes().isEmpty(); round++) {
      processes().forEach(ProcessHandle::destroyForcibly);
      Thread.sleep(100);
    }
    Exec.run(home.getParent(), "userdel", name);
  }

  private List<ProcessHandle> processes() {
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().user().map(name::equals).orElse(false))
        .toList();
  }
}
