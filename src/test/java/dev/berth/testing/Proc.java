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
    return list()
        .filter(p -> stat(p.pid).map(f -> Long.parseLong(f[1]) == pid).orElse(false))
        .toList();
  }

  /** Sends SIGKILL if it is still this process. */
  public void kill() {
    if (running()) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  /** Every process now, as /proc lists them. */
  public static List<Proc> all() {
    return list().toList();
  }

  /**
   * Whether its command line, working directory or environment holds one of {@code texts}. False,
   * not an error, for a process that is gone or that this user may not read.
   */
  public boolean mentionsAny(java.util.Collection<String> texts) {
    if (texts.isEmpty()) {
      return false;
    }
    Path dir = Path.of("/proc", Long.toString(pid));
    try {
      String seen =
          read(dir.resolve("cmdline"))
              + '\0'
              + read(dir.resolve("environ"))
              + '\0'
              + Files.readSymbolicLink(dir.resolve("cwd"));
      return texts.stream().anyMatch(seen::contains) && running();
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Its command line, arguments separated by spaces ("" once it is gone). */
  public String commandLine() {
    try {
      return read(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ').strip();
    } catch (IOException e) {
      return "";
    }
  }

  /** Its parent's pid (0 once it is gone). */
  public long parent() {
    return stat(pid).map(f -> Long.parseLong(f[1])).orElse(0L);
  }

  private static String read(Path file) throws IOException {
    return new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  private static Stream<Proc> list() {
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
