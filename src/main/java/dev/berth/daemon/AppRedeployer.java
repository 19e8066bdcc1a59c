package dev.berth.daemon;

import dev.berth.config.App;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * How a reload applies a changed definition of an app berth runs: by the deploy flow (start the
 * new generation, wait until it is ready, switch, drain and stop the old one).
 */
interface AppRedeployer {

  /**
   * Runs the app by its new definition.
   *
   * @param progress told about each step, as a line of text
   * @return empty once the new definition serves; else why not, and the running generation then
   *     keeps serving
   */
  Optional<String> redeploy(App newDefinition, Consumer<String> progress);
}
