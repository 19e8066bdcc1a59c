package dev.berth.config;

import java.time.Duration;
import java.util.List;

/** The keys of an app's {@code [apps.NAME.processes.TYPE]} tables. */
final class ProcessKeys {

  static final Key<String> COMMAND =
      Key.of(
          "command",
          Types.COMMAND,
          null,
          "(required, unless the Procfile has the type)",
          "\"python worker.py\"",
          """
          The process's shell command line; without it, the procfile's line of the same type.
          """);

  static final Key<Integer> INSTANCES =
      Key.of(
          "instances",
          Types.integer(0, AppKeys.MAX_INSTANCES),
          1,
          "1",
          "2",
          "How many processes of this type run; 0 runs none (berth scale may start some later).");

  static final Key<Duration> STOP_TIMEOUT =
      Key.of(
          "stop_timeout",
          Types.DURATION_TYPE,
          null,
          "(the larger of 30s and the app's stop_timeout)",
          "\"2m\"",
          """
          How long a process of this type has from SIGTERM to finish its job before SIGKILL, at
          a deploy, restart, scale-down or stop. A SIGKILL is reported in the command's output,
          in berth logs and in berth status.
          """);

  static final Key<App.Rollout> ROLLOUT =
      Key.of(
          "rollout",
          Types.choice(App.Rollout.class, App.Rollout::configName),
          null,
          "(\"stop-first\" for a type named clock or scheduler, else \"start-first\")",
          "\"stop-first\"",
          """
          How a deploy or restart replaces this type's processes: "start-first" starts the new
          ones before the old ones stop (no gap); "stop-first" stops the old ones first, then
          starts the new ones (never two at once: for clocks, schedulers and anything holding a
          fixed port or lock).
          """);

  static final List<Key<?>> KEYS = List.of(COMMAND, INSTANCES, STOP_TIMEOUT, ROLLOUT);

  private ProcessKeys() {}
}
