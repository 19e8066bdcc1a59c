package dev.berth.deploy;

import dev.berth.config.App;
import dev.berth.supervisor.AppChecks;
import dev.berth.supervisor.PhaseResult;
import dev.berth.supervisor.Supervisor;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A release's build and release phases, run in its directory as the app's processes run: by a
 * deploy, and by {@code berth up} for a release it copies or one that never ran them. The app's
 * commands are checked between the two (the build may make the virtualenv they live in), so that a
 * migration never runs for code that cannot start.
 */
final class ReleasePhases {

  /** How long each phase took, in seconds; null for one that did not run. */
  record Times(Double build, Double release) {}

  private ReleasePhases() {}

  /**
   * @param app the app placed in release {@code number}
   * @param build whether to run its build phase (if it has one)
   * @param release whether to run its release phase (if it has one)
   * @throws DeployException when a phase fails or the commands are not there after the build
   */
  static Times run(
      Supervisor supervisor,
      App app,
      int number,
      boolean build,
      boolean release,
      Deployer.Progress progress)
      throws DeployException, IOException {
    App.Deploy deploy = app.deploy();
    Double buildSeconds =
        build
            ? phase(
                supervisor, app, "build", deploy.build(), deploy.buildTimeout(), number, progress)
            : null;
    // userenv hook: after the build (which may make a virtualenv), before migrations run.
    List<String> missing = AppChecks.commandErrors(app, supervisor.environment(app));
    if (!missing.isEmpty()) {
      throw new DeployException(String.join("; ", missing), List.of());
    }
    Double releaseSeconds =
        release
            ? phase(
                supervisor,
                app,
                "release",
                deploy.release(),
                deploy.releaseTimeout(),
                number,
                progress)
            : null;
    return new Times(buildSeconds, releaseSeconds);
  }

  /** Runs one phase, if the app has it. @return how long it took in seconds, or null */
  static Double phase(
      Supervisor supervisor,
      App app,
      String phase,
      String command,
      Duration timeout,
      int number,
      Deployer.Progress progress)
      throws DeployException, IOException {
    if (command == null) {
      return null;
    }
    progress.step(DeployLines.line(phase, command, null));
    PhaseResult result =
        supervisor.runPhase(
            app,
            phase,
            command,
            timeout,
            Map.of("BERTH_RELEASE", Integer.toString(number)),
            line -> progress.output(phase, line));
    if (!result.ok()) {
      String why =
          result.exitCode() == null
              ? "did not finish within "
                  + timeout.toSeconds()
                  + "s (build_timeout/release_timeout); its processes were ended"
              : "exited with code " + result.exitCode();
      throw new DeployException(phase + " phase " + why + " (" + command + ")", result.lastLines());
    }
    progress.step(DeployLines.line(phase, "done", result.took()));
    return result.took().toMillis() / 1000.0;
  }
}
