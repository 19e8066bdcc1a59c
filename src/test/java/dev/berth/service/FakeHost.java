package dev.berth.service;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A machine described by the test: who runs berth, what exists, which programs are installed.
 * Writes, deletes and commands are recorded (and files kept in memory), never done.
 */
class FakeHost implements Host {

  int uid = 0;
  String userName = "root";
  final Map<String, String> env =
      new HashMap<>(Map.of("PATH", "/home/alice/.local/bin:/usr/bin:/bin"));
  final Map<String, Account> accounts = new HashMap<>();
  final Map<Path, String> owners = new HashMap<>();
  final Set<Path> dirs = new HashSet<>();
  final Map<Path, String> files = new HashMap<>();
  final Set<String> programs = new HashSet<>();
  Path berthHome = Path.of("/opt/berth");
  final Path java = Path.of("/usr/lib/jvm/jdk-21/bin/java");

  /** The user's crontab: null for none yet. */
  String crontab;

  final List<String> done = new ArrayList<>();

  FakeHost() {
    accounts.put("root", new Account("root", 0, "root", Path.of("/root")));
    accounts.put("alice", new Account("alice", 1000, "staff", Path.of("/home/alice")));
    accounts.put("bob", new Account("bob", 1001, "bob", Path.of("/home/bob")));
    files.put(Path.of("/opt/berth/berth"), "#!/usr/bin/env bash\n");
    files.put(ServiceInstaller.UNPRIVILEGED_PORT_START, "1024\n");
  }

  /** A booted systemd with systemctl, as on most Linux servers. */
  FakeHost systemd() {
    programs.add("systemctl");
    dirs.add(ServiceInstaller.SYSTEMD_RUNNING);
    return this;
  }

  /** An ordinary user, alice, logged in with a session: her systemd user instance is reachable. */
  FakeHost alice(boolean userManager) {
    uid = 1000;
    userName = "alice";
    env.put("HOME", "/home/alice");
    dirs.add(Path.of("/home/alice"));
    if (userManager) {
      env.put("XDG_RUNTIME_DIR", "/run/user/1000");
      dirs.add(Path.of("/run/user/1000/systemd/private"));
    }
    return this;
  }

  @Override
  public int uid() {
    return uid;
  }

  @Override
  public String userName() {
    return userName;
  }

  @Override
  public Map<String, String> env() {
    return env;
  }

  @Override
  public Optional<Account> account(String name) {
    return Optional.ofNullable(accounts.get(name));
  }

  @Override
  public Optional<String> owner(Path file) {
    return Optional.ofNullable(owners.get(file));
  }

  @Override
  public boolean exists(Path path) {
    return dirs.contains(path) || files.containsKey(path);
  }

  @Override
  public Optional<String> read(Path file) {
    return Optional.ofNullable(files.get(file));
  }

  @Override
  public Optional<Path> program(String name) {
    return programs.contains(name) ? Optional.of(Path.of("/usr/bin", name)) : Optional.empty();
  }

  @Override
  public Optional<Path> berthHome() {
    return Optional.ofNullable(berthHome);
  }

  @Override
  public Path java() {
    return java;
  }

  @Override
  public void write(Path file, String content, String mode) {
    done.add("write " + file + " " + mode);
    files.put(file, content);
  }

  @Override
  public void delete(Path file) {
    done.add("delete " + file);
    files.remove(file);
  }

  @Override
  public Result run(List<String> command, String stdin) {
    if (command.equals(List.of("/usr/bin/crontab", "-l"))) {
      return crontab == null
          ? new Result(1, "no crontab for " + userName + "\n")
          : new Result(0, crontab);
    }
    done.add(String.join(" ", command));
    if (command.equals(List.of("/usr/bin/crontab", "-"))) {
      crontab = stdin;
    }
    return new Result(0, command.contains("enable") ? "Created symlink.\n" : "");
  }
}
