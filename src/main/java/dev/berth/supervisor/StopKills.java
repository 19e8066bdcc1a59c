package dev.berth.supervisor;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The SIGKILLs a command needed among the instances it stops (a deploy's old generation, a restart,
 * a scale-down, {@code berth stop}), for its output: each instance's last kill is noted before the
 * command, and those that changed since are its. Commands on one app never overlap ({@link
 * Supervisor#exclusive}), so a kill seen here is one of this command's stops, or of an exit of the
 * same instance meanwhile, which is worth telling as well.
 */
final class StopKills {

  /** Each instance watched, and its last kill before the command (null: none). */
  private final Map<Instance, SigKill> before = new LinkedHashMap<>();

  private StopKills(Collection<Instance> instances) {
    instances.forEach(instance -> before.put(instance, instance.lastKill()));
  }

  /** Watches these instances from now on. */
  static StopKills watch(Collection<Instance> instances) {
    return new StopKills(instances);
  }

  /** The kills since {@link #watch}, in the order of the instances. */
  List<SigKill> since() {
    List<SigKill> kills = new ArrayList<>();
    before.forEach(
        (instance, was) -> {
          SigKill now = instance.lastKill();
          if (now != null && now != was) {
            kills.add(now);
          }
        });
    return kills;
  }

  /** Tells each kill since {@link #watch} as a progress line of the command. */
  void report(Consumer<String> progress) {
    since().forEach(kill -> progress.accept(kill.problem()));
  }

  /**
   * Old instances killed at a deploy's stop: each successor (same tag) shows it as its last problem
   * in {@code berth status}, which lists the new generation only.
   */
  static void handOver(List<SigKill> killed, List<Instance> fresh) {
    for (SigKill kill : killed) {
      fresh.stream()
          .filter(i -> i.tag().equals(kill.tag()))
          .forEach(i -> i.predecessorKilled(kill));
    }
  }

  /** {@code ; shop.worker.1 killed 30s after SIGTERM}, or "" with none: for a step's detail. */
  static String brief(List<SigKill> kills) {
    if (kills.isEmpty()) {
      return "";
    }
    return "; " + String.join(", ", kills.stream().map(SigKill::brief).toList());
  }
}
