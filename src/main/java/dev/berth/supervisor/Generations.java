package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes an app's instances, not begun yet: how many of each process type (what {@code berth scale}
 * stored, else the definition's counts), each wired to the launcher and to its slot in the traffic
 * switch. One place for it, so that {@code berth up}, a deploy and {@code scale} make the same
 * instances.
 */
final class Generations {

  private final Overrides overrides;
  private final Launcher launcher;
  private final TrafficSwitch traffic;

  Generations(Overrides overrides, Launcher launcher, TrafficSwitch traffic) {
    this.overrides = requireNonNull(overrides, "overrides");
    this.launcher = requireNonNull(launcher, "launcher");
    this.traffic = requireNonNull(traffic, "traffic");
  }

  /**
   * A generation of the app's instances, as many of each type as it runs.
   *
   * @param serving whether they join the rotation when ready (false: until a deploy's switch)
   */
  List<Instance> of(App app, boolean serving) {
    List<Instance> generation = new ArrayList<>();
    counts(app)
        .forEach(
            (type, count) -> {
              for (int n = 1; n <= count; n++) {
                generation.add(instance(app, type, n, serving));
              }
            });
    return generation;
  }

  /** Instance {@code number} of the type. */
  Instance instance(App app, String type, int number, boolean serving) {
    return new Instance(
        app, type, number, launcher, traffic.slot(app.name(), number, serving), Ticker.SYSTEM);
  }

  /** Instances per process type to run: what berth scale stored, else the definition's counts. */
  private Map<String, Integer> counts(App app) {
    Map<String, Integer> scale = overrides.scale(app.name());
    Map<String, Integer> counts = new LinkedHashMap<>();
    ProcessCounts.configured(app)
        .forEach((type, configured) -> counts.put(type, scale.getOrDefault(type, configured)));
    return counts;
  }
}
