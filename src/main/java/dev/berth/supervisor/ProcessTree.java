package dev.berth.supervisor;

import dev.berth.process.ProcFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The processes that belong to an instance: its leader, every descendant, and anything still in the
 * leader's process group (a daemonized child is no longer a descendant, but keeps the group).
 * Signals go through {@link ProcessHandle}, which checks the start time, so a pid reused by an
 * unrelated process is never hit.
 */
final class ProcessTree {

  private static final System.Logger LOG = System.getLogger(ProcessTree.class.getName());
  private static final Duration KILL_WAIT = Duration.ofSeconds(5);
  private static final Duration EXIT_POLL = Duration.ofMillis(50);

  private ProcessTree() {}

  /**
   * Stops a process and its tree: SIGTERM to the tree and group, up to {@code stopTimeout} for them
   * to exit, then SIGKILL to whatever is left, including processes that appeared meanwhile. When
   * the leader has exited already, what is left of its group.
   *
   * @param tag names it in the warning when SIGKILL was needed (web.1)
   * @param started when the leader started, to recognise its group once it has exited
   * @return the SIGKILL, when it was needed (berth's log has a warning too); empty when all exited
   *     within {@code stopTimeout}
   */
  static Optional<SigKill> stop(String tag, Process leader, Instant started, Duration stopTimeout) {
    ProcessHandle handle = leader.toHandle();
    // Taken before the leader exits: afterwards its children are re-parented and no longer found.
    Set<ProcessHandle> members =
        handle.isAlive() ? members(handle) : leftovers(handle.pid(), started);
    if (members.isEmpty()) {
      return Optional.empty();
    }
    signal(members, false);
    waitForExit(members, stopTimeout);
    Set<ProcessHandle> left = new LinkedHashSet<>(members);
    left.addAll(members(handle));
    left.removeIf(p -> !p.isAlive());
    Optional<SigKill> killed = Optional.empty();
    if (!left.isEmpty()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "{0}: {1} process(es) still running {2}s after SIGTERM; sending SIGKILL",
          tag,
          left.size(),
          stopTimeout.toSeconds());
      killed = Optional.of(new SigKill(tag, left.size(), stopTimeout, Instant.now()));
      signal(left, true);
      waitForExit(left, KILL_WAIT);
    }
    try {
      leader.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return killed;
  }

  private static void waitForExit(Set<ProcessHandle> processes, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (anyAlive(processes) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(EXIT_POLL);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** The leader (first, if alive), its descendants, and the members of its process group. */
  static Set<ProcessHandle> members(ProcessHandle leader) {
    Set<ProcessHandle> members = new LinkedHashSet<>();
    if (leader.isAlive()) {
      members.add(leader);
    }
    leader.descendants().forEach(members::add);
    ProcFs.inGroup(leader.pid()).forEach(members::add);
    return members;
  }

  /** Resident memory of the leader's whole tree and group, from /proc; 0 when unknown. */
  static long rssBytes(ProcessHandle leader) {
    long total = 0;
    for (ProcessHandle process : members(leader)) {
      total += rssBytesOf(process.pid());
    }
    return total;
  }

  private static long rssBytesOf(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          // "VmRSS:    1234 kB"
          return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // Gone meanwhile, or a kernel thread: nothing to count.
    }
    return 0;
  }

  /**
   * Every process still running from an incarnation a previous berth recorded: the leader, its
   * descendants and its group, if the leader is the same process (same pid and start time); or,
   * when the leader is gone, what is left of its group. Linux never hands out a pid that is still
   * some group's id, so a group named after a dead leader is that leader's; a live process with the
   * pid but another start time is someone else's, and nothing is touched.
   */
  static Set<ProcessHandle> leftovers(long leaderPid, Instant leaderStart) {
    Set<ProcessHandle> found = new LinkedHashSet<>();
    Optional<ProcessHandle> leader = ProcessHandle.of(leaderPid);
    if (leader.isPresent()) {
      if (sameStart(leader.get(), leaderStart)) {
        found.addAll(members(leader.get()));
      }
    } else {
      ProcFs.inGroup(leaderPid).forEach(found::add);
    }
    found.removeIf(p -> p.pid() == ProcessHandle.current().pid());
    return found;
  }

  /**
   * Start times from /proc have a 10 ms clock tick; two readings of one process may differ by it.
   */
  static boolean sameStart(ProcessHandle process, Instant start) {
    return process
        .info()
        .startInstant()
        .map(t -> Math.abs(t.toEpochMilli() - start.toEpochMilli()) <= 20)
        .orElse(false);
  }

  static void signal(Set<ProcessHandle> processes, boolean kill) {
    for (ProcessHandle process : processes) {
      if (kill) {
        process.destroyForcibly();
      } else {
        process.destroy();
      }
    }
  }

  static boolean anyAlive(Set<ProcessHandle> processes) {
    return processes.stream().anyMatch(ProcessHandle::isAlive);
  }
}
