package dev.berth.service;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code berth service} needs to know about the machine it runs on, and the few things it does
 * to it. {@link SystemHost} is the real one; tests pass a fake, so that the plan for root, for an
 * ordinary user and for the crontab fallback can be checked without touching the machine.
 */
public interface Host {

  /** The effective user id of this process. */
  int uid();

  /** The name of the user this process runs as. */
  String userName();

  /** This process's environment ($SUDO_USER, $XDG_RUNTIME_DIR, $HOME, $PATH, ...). */
  Map<String, String> env();

  /** A user account by name, from the system's user database (NSS: files, LDAP, ...). */
  Optional<Account> account(String name);

  /** The name of the user owning a file, or empty when it does not exist. */
  Optional<String> owner(Path file);

  boolean exists(Path path);

  /** A file's text, or empty when it does not exist or cannot be read. */
  Optional<String> read(Path file);

  /** A program's absolute path, from $PATH and the usual bin directories, or empty. */
  Optional<Path> program(String name);

  /**
   * Where berth is installed (the directory of the {@code berth} launcher), or empty when unknown.
   */
  Optional<Path> berthHome();

  /** The java binary running berth now. */
  Path java();

  /**
   * Writes a file with this mode (e.g. "rw-r--r--"), creating its directory; replaces it
   * atomically.
   */
  void write(Path file, String content, String mode) throws IOException;

  void delete(Path file) throws IOException;

  /**
   * Runs a command to its end, with this standard input (null: none); its output and error merged.
   */
  Result run(List<String> command, String stdin) throws IOException;

  /** A user account. */
  record Account(String name, int uid, String group, Path home) {}

  /** How a command ended, and what it printed. */
  record Result(int exit, String output) {}
}
