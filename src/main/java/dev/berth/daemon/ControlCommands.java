package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import dev.berth.control.ClientGoneException;
import dev.berth.control.CommandRegistry;
import dev.berth.control.ControlException;
import dev.berth.control.Replies;
import dev.berth.control.Request;
import dev.berth.logs.LogLine;
import dev.berth.logs.LogStream;
import dev.berth.logs.Logs;
import dev.berth.supervisor.Supervisor;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The daemon's control commands (docs/control-protocol.md): what {@code berth status}, {@code logs},
 * {@code start}, {@code stop} and {@code restart} ask for, answered from the supervisor and logs.
 */
final class ControlCommands {

  private static final int MAX_TAIL = 10_000;

  private final Supervisor supervisor;
  private final Logs logs;

  ControlCommands(Supervisor supervisor, Logs logs) {
    this.supervisor = requireNonNull(supervisor, "supervisor");
    this.logs = requireNonNull(logs, "logs");
  }

  void registerIn(CommandRegistry registry) {
    registry
        .register("status", (request, replies) -> replies.result(status()))
        .register("logs", this::logs)
        .register("stop", (request, replies) -> {
          String app = app(request);
          supervisor.stopApp(app);
          replies.result(Map.of("app", app));
        })
        .register("start", (request, replies) -> {
          String app = app(request);
          List<String> failures = supervisor.startApp(app);
          if (!failures.isEmpty()) {
            throw new ControlException(ControlException.FAILED, String.join("\n", failures));
          }
          replies.result(Map.of("app", app));
        })
        .register("restart", this::restart);
  }

  private Map<String, Object> status() {
    List<Map<String, Object>> instances = new ArrayList<>();
    Instant now = Instant.now();
    for (Supervisor.InstanceStatus s : supervisor.status()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("app", s.app());
      row.put("instance", s.instance());
      row.put("state", s.state());
      row.put("pid", s.pid());
      row.put("since", s.since().toString());
      row.put("seconds", Duration.between(s.since(), now).toSeconds());
      row.put("restarts", s.restarts());
      row.put("recycled", s.recycled());
      row.put("rss_bytes", s.rssBytes());
      row.put("endpoint", s.endpoint());
      if (s.lastProblem() != null) {
        row.put("last_problem", s.lastProblem());
      }
      instances.add(row);
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("pid", ProcessHandle.current().pid());
    result.put("instances", instances);
    result.put("log_lines_dropped", logs.dropped());
    return result;
  }

  /** args: app, n (last lines, default 100), follow (bool), instance (e.g. "web.2" or "2"). */
  private void logs(Request request, Replies replies) throws Exception {
    String app = app(request);
    int n = Math.min(request.integer("n", 100), MAX_TAIL);
    if (n < 0) {
      throw new ControlException(ControlException.BAD_REQUEST, "logs: n must be >= 0");
    }
    Optional<String> instance = request.text("instance");
    Predicate<LogLine> filter =
        instance.map(i -> (Predicate<LogLine>) line -> line.source().equals(i.contains(".") ? i : app + "." + i))
            .orElse(line -> true);
    LogStream stream = logs.stream(app);
    if (!request.flag("follow", false)) {
      for (LogLine line : stream.tail(n, filter)) {
        replies.event("line", fields(line));
      }
      replies.result(Map.of("app", app));
      return;
    }
    try (LogStream.Following following =
        stream.follow(
            n,
            filter,
            line -> {
              try {
                replies.event("line", fields(line));
              } catch (ClientGoneException e) {
                throw new IllegalStateException("client gone", e);
              }
            })) {
      replies.awaitClosed();
    }
  }

  private void restart(Request request, Replies replies) throws Exception {
    String app = app(request);
    Optional<String> failure =
        supervisor.restartApp(
            app,
            step -> {
              try {
                replies.event("progress", Map.of("text", step));
              } catch (ClientGoneException e) {
                // The client stopped watching; the restart goes on.
              }
            });
    if (failure.isPresent()) {
      throw new ControlException(ControlException.FAILED, failure.get());
    }
    replies.result(Map.of("app", app));
  }

  private static Map<String, Object> fields(LogLine line) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("time", line.time().toString());
    fields.put("source", line.source());
    fields.put("text", line.text());
    return fields;
  }

  private String app(Request request) throws ControlException {
    String app = request.requireText("app");
    if (!supervisor.runs(app)) {
      throw new ControlException(ControlException.NOT_FOUND, "no app \"" + app + "\" run by this berth");
    }
    return app;
  }
}
