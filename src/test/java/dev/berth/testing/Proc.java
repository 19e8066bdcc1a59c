package dev.berth.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A process as /proc shows it, named by pid and start time (in clock ticks since boot), so that a
 * recycled pid is never taken for the process that had it before.
 */
public record Proc(long pid, long startTicks) {

  /** The process with this pid now, if there is one. */
  public static Optional<Proc> of(long pid) {
    return stat(pid).map(fields -> new Proc(pid, Long.parseLong(fields[19])));
  }

  /** Running: there, with the same start time, and not a zombie waiting for its reaper. */
  public boolean running() {
    return stat(pid)
        .map(f -> Long.parseLong(f[19]) == startTicks && !f[0].equals("Z"))
        .orElse(false);
  }

  /** The processes whose parent this is. */
  public List<Proc> children() {
    return all()
        .filter(p -> stat(p.pid).map(f -> Long.parseLong(f[1]) == pid).orElse(false))
        .toList();
  }

  /** Sends SIGKILL if it is still this process. */
  public void kill() {
    if (running()) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  private static Stream<Proc> all() {
    try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
      return entries
          .map(p -> p.getFileName().toString())
          .filter(name -> name.chars().allMatch(Character::isDigit))
          .map(name -> of(Long.parseLong(name)))
          .flatMap(Optional::stream)
          .toList()
          .stream();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * The fields of /proc/PID/stat after "(comm)": [0] state, [1] ppid, [2] pgrp, ... [19] starttime.
   */
  private static Optional<String[]> stat(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return Optional.of(stat.substring(stat.lastIndexOf(')') + 2).split(" "));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
