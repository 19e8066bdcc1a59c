package dev.berth.supervisor;

import dev.berth.config.App;
import java.io.IOException;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Starts and stops an instance's processes: the operating system's side of an {@link Instance}, so
 * that the instance holds only the policy (when to start, restart, give up) and a test can give it
 * a fake. {@link ProcessLauncher} is the real one.
 */
interface Launcher {

  /** Starts the command on a fresh endpoint; throws with the reason when it cannot. */
  Incarnation launch(App app, String type, int number, int generation) throws IOException;

  /**
   * Waits until it is ready (a web process answers HTTP): empty when ready, else why not (it is
   * then stopped).
   *
   * @param cancelled true once the wait should end early (the instance is being stopped)
   */
  Optional<String> awaitReady(App app, Incarnation incarnation, BooleanSupplier cancelled);

  /**
   * Stops its whole process tree (TERM, its type's stop_timeout, KILL) and waits; after the leader
   * died, what is left of its group (a killed gunicorn master's workers).
   *
   * @return the SIGKILL, when the grace was not enough (the app's log says so already)
   */
  Optional<SigKill> stop(App app, Incarnation incarnation);

  /** It exited, or started, or stopped: the state file must say so. */
  void changed();
}
