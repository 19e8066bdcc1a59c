package dev.berth.supervisor;

import dev.berth.config.App;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An app's instances per process type: as the config gives them, and as messages write them. */
final class ProcessCounts {

  /** Instances per process type as the config gives them, web first. */
  static Map<String, Integer> configured(App app) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    if (app.hasWeb()) {
      counts.put(Instance.WEB, app.run().instances());
    }
    app.run().processes().forEach(p -> counts.put(p.name(), p.instances()));
    return counts;
  }

  /**
   * @throws IllegalArgumentException if the app has no such process type, naming those it has
   */
  static void check(App app, String type) {
    Map<String, Integer> configured = configured(app);
    if (!configured.containsKey(type)) {
      throw new IllegalArgumentException(
          app.name()
              + " has no process type \""
              + type
              + "\" (it has: "
              + String.join(", ", configured.keySet())
              + ")");
    }
  }

  /** "2 web, 1 worker". */
  static String describe(Map<String, Integer> counts) {
    List<String> parts = new ArrayList<>();
    counts.forEach((type, n) -> parts.add(n + " " + type));
    return parts.isEmpty() ? "no processes" : String.join(", ", parts);
  }

  /** "web.1-3" for blog.1, blog.2, blog.3; the tags otherwise. */
  static String tags(List<String> tags) {
    if (tags.size() == 1) {
      return tags.get(0);
    }
    String first = tags.get(0);
    String prefix = first.substring(0, first.lastIndexOf('.') + 1);
    return prefix + "1-" + tags.size();
  }

  private ProcessCounts() {}
}
