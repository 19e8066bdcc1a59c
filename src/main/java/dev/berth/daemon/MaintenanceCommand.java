package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import dev.berth.config.Config;
import dev.berth.control.CommandRegistry;
import dev.berth.control.ControlException;
import dev.berth.control.Replies;
import dev.berth.control.Request;
import dev.berth.edge.Maintenance;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@code berth maintenance APP on|off} (docs/operations.md): the app's routes answer 503 with a
 * page while it is on, stored first so that a restart of berth keeps it, then applied to the edge.
 */
final class MaintenanceCommand {

  /** Seconds a client is told to wait, unless the command says otherwise. */
  static final int DEFAULT_RETRY_AFTER = 120;

  static final int MAX_PAGE_BYTES = 1 << 20;

  /** A day: a longer Retry-After is a mistake more often than a plan. */
  static final int MAX_RETRY_AFTER = 86_400;

  private final Maintenance maintenance;
  private final MaintenanceStore store;
  private final Supplier<Config> running;

  MaintenanceCommand(Maintenance maintenance, MaintenanceStore store, Supplier<Config> running) {
    this.maintenance = requireNonNull(maintenance, "maintenance");
    this.store = requireNonNull(store, "store");
    this.running = requireNonNull(running, "running");
  }

  /** At start: the stored apps in maintenance again, each said in a line. */
  void restore(Consumer<String> say) {
    store
        .load(problem -> say.accept("berth: WARNING: maintenance: " + problem))
        .forEach(
            (app, notice) -> {
              maintenance.on(app, notice);
              say.accept(
                  "berth: "
                      + app
                      + ": in maintenance, its routes answer 503 ('berth maintenance "
                      + app
                      + " off' ends it)");
            });
  }

  void registerIn(CommandRegistry registry) {
    registry.register("maintenance", this::handle);
  }

  /** args: app, state ("on" or "off"), page (HTML, optional), retry_after (seconds, optional). */
  private void handle(Request request, Replies replies) throws Exception {
    String app = request.requireText("app");
    if (!running.get().apps().containsKey(app)) {
      throw new ControlException(
          ControlException.NOT_FOUND, "no app \"" + app + "\" run by this berth");
    }
    String state = request.requireText("state");
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("app", app);
    switch (state) {
      case "on" -> {
        String page = request.text("page").orElse(null);
        if (page != null && page.getBytes(StandardCharsets.UTF_8).length > MAX_PAGE_BYTES) {
          throw new ControlException(
              ControlException.BAD_REQUEST, "maintenance: page is larger than 1 MiB");
        }
        int retryAfter = request.integer("retry_after", DEFAULT_RETRY_AFTER);
        if (retryAfter < 0 || retryAfter > MAX_RETRY_AFTER) {
          throw new ControlException(
              ControlException.BAD_REQUEST,
              "maintenance: retry_after: "
                  + retryAfter
                  + " (expected 0 to "
                  + MAX_RETRY_AFTER
                  + ")");
        }
        Maintenance.Notice notice = new Maintenance.Notice(page, retryAfter);
        store.put(app, notice);
        maintenance.on(app, notice);
        result.put("maintenance", true);
        result.put("retry_after", retryAfter);
      }
      case "off" -> {
        store.remove(app);
        maintenance.off(app);
        result.put("maintenance", false);
      }
      default ->
          throw new ControlException(
              ControlException.BAD_REQUEST,
              "maintenance: state \"" + state + "\" (expected on or off)");
    }
    replies.result(result);
  }
}
