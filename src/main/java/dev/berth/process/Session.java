package dev.berth.process;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The processes of a command started in a session of its own: its leader, the leader's descendants,
 * and whatever is still in the session (a child that daemonized is no longer a descendant, but
 * keeps the session unless it made one of its own). Signals go through {@link ProcessHandle}, which
 * checks the start time, so a pid reused meanwhile is never hit.
 */
final class Session {

  private static final int KILL_ROUNDS = 3;

  private Session() {}

  /**
   * Ends every process of the leader's session: SIGTERM, then SIGKILL to what is still there after
   * {@code grace}, looked up again each round (a dying shell may still fork). Returns when they are
   * gone, or after a few rounds of SIGKILL, each waiting up to {@code grace}.
   */
  static void end(ProcessHandle leader, Duration grace) {
    Set<ProcessHandle> members = members(leader);
    if (members.isEmpty()) {
      return;
    }
    members.forEach(ProcessHandle::destroy);
    boolean interrupted = !awaitGone(members, grace);
    for (int round = 0; round < KILL_ROUNDS; round++) {
      members = members(leader);
      if (members.isEmpty()) {
        break;
      }
      members.forEach(ProcessHandle::destroyForcibly);
      interrupted |= !awaitGone(members, grace);
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** The leader (if running), its descendants, and the other processes of its session. */
  static Set<ProcessHandle> members(ProcessHandle leader) {
    Set<ProcessHandle> members = new LinkedHashSet<>();
    // A dead leader's children went to the reaper of orphans (the session finds them), and its pid
    // may name another process by now.
    if (running(leader)) {
      members.add(leader);
      leader.descendants().filter(Session::running).forEach(members::add);
    }
    ProcFs.inSession(leader.pid()).forEach(members::add);
    members.removeIf(p -> p.pid() == ProcessHandle.current().pid());
    return members;
  }

  /**
   * Polls until none of {@code processes} runs, or {@code timeout} passed; false when interrupted
   * (it stops waiting then).
   */
  private static boolean awaitGone(Set<ProcessHandle> processes, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = 5;
    while (processes.stream().anyMatch(Session::running) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(pause);
      } catch (InterruptedException e) {
        return false;
      }
      pause = Math.min(pause * 2, 50);
    }
    return true;
  }

  private static boolean running(ProcessHandle process) {
    return ProcFs.running(process);
  }
}
