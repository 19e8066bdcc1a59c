package dev.berth.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * What /proc tells of processes that {@link ProcessHandle} does not: state, process group and
 * session. One reading for the short commands' sessions and the supervisor's process trees.
 */
public final class ProcFs {

  private static final Path PROC = Path.of("/proc");

  private ProcFs() {}

  /**
   * A process's line in /proc/PID/stat, the fields berth uses.
   *
   * @param state one letter: R, S, D, Z (zombie)...
   */
  public record Stat(char state, long ppid, long pgrp, long session) {

    /** A dead process whose parent has not reaped it yet. */
    public boolean zombie() {
      return state == 'Z';
    }
  }

  /** The process's stat, or empty when it is gone (or not ours to read). */
  public static Optional<Stat> stat(long pid) {
    try {
      String line = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"));
      // "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses, so cut at
      // the last ')'.
      String[] f = line.substring(line.lastIndexOf(')') + 2).split(" ");
      return Optional.of(
          new Stat(
              f[0].charAt(0), Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3])));
    } catch (IOException | RuntimeException e) {
      // Gone between listing and reading, or not ours to read.
      return Optional.empty();
    }
  }

  /**
   * Running: alive, and not a zombie (in a container, the reaper of orphans may never reap one).
   */
  public static boolean running(ProcessHandle process) {
    return process.isAlive() && stat(process.pid()).map(s -> !s.zombie()).orElse(false);
  }

  /** The running processes of process group {@code pgid}. */
  public static List<ProcessHandle> inGroup(long pgid) {
    return matching(s -> s.pgrp() == pgid);
  }

  /** The running processes of session {@code sid}. */
  public static List<ProcessHandle> inSession(long sid) {
    return matching(s -> s.session() == sid);
  }

  private static List<ProcessHandle> matching(Predicate<Stat> wanted) {
    if (!Files.isDirectory(PROC)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(PROC)) {
      return entries
          .map(p -> p.getFileName().toString())
          .filter(name -> !name.isEmpty() && name.chars().allMatch(Character::isDigit))
          .mapToLong(Long::parseLong)
          .filter(pid -> stat(pid).map(s -> !s.zombie() && wanted.test(s)).orElse(false))
          .mapToObj(ProcessHandle::of)
          .flatMap(Optional::stream)
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }
}
