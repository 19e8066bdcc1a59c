package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The processes berth started and has not seen end (instances, a successor while it starts, build
 * and release phases), as the {@link StateFile} lists them for the next berth.
 */
final class RunningProcesses {

  private final StateFile stateFile;
  private final Set<Incarnation> running = ConcurrentHashMap.newKeySet();

  RunningProcesses(StateFile stateFile) {
    this.stateFile = requireNonNull(stateFile, "stateFile");
  }

  /** It started; the file says so at the next {@link #write}. */
  void add(Incarnation incarnation) {
    running.add(incarnation);
  }

  /** It was stopped; the file drops it at the next {@link #write}. */
  void remove(Incarnation incarnation) {
    running.remove(incarnation);
  }

  /**
   * Rewrites the state file with those still alive; one at a time, so an older list never lands
   * after a newer one.
   */
  synchronized void write() {
    running.removeIf(i -> !i.process().isAlive());
    List<StateFile.Entry> entries = new ArrayList<>();
    for (Incarnation i : running) {
      entries.add(new StateFile.Entry(i.tag(), i.process().pid(), i.started()));
    }
    stateFile.write(entries);
  }

  /** Berth stopped everything: the file lists nothing. */
  synchronized void clear() {
    running.clear();
    stateFile.write(List.of());
  }
}
