package dev.berth.daemon;

import dev.berth.control.ClientGoneException;
import dev.berth.control.ControlException;
import dev.berth.control.Replies;
import dev.berth.control.Request;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a reload is asked for and answered: the {@code reload} control command (events to the client
 * as changes apply) and SIGHUP (lines to berth's own output). {@link Reloader} applies it.
 */
final class ReloadRequests {

  private ReloadRequests() {}

  /**
   * The {@code reload} control command: {@code change} events as changes apply, {@code progress}
   * events for the steps of redeploys, then {@code {"file","changes"}}; or an error: {@code
   * invalid_config} and {@code not_reloadable} (nothing changed), {@code failed} (what is in the
   * change events was applied; the message says what failed and what was not applied).
   */
  static void control(Reloader reloader, Request request, Replies replies) throws ControlException {
    Reloader.Outcome outcome;
    try {
      outcome =
          reloader.reload(
              line -> send(replies, "change", line), line -> send(replies, "progress", line));
    } catch (Reloader.Rejected e) {
      List<String> lines = new ArrayList<>(List.of(e.getMessage()));
      lines.addAll(e.lines());
      throw new ControlException(e.code(), String.join("\n", lines));
    }
    if (!outcome.failed().isEmpty()) {
      throw new ControlException(ControlException.FAILED, failureMessage(outcome));
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("file", outcome.loaded().file().toString());
    result.put("changes", outcome.applied());
    replies.result(result);
  }

  /** SIGHUP: the same reload, told to berth's own output (and so its log). */
  static void onSignal(Reloader reloader, PrintStream out) {
    String prefix = "berth: reload: ";
    try {
      Reloader.Outcome outcome =
          reloader.reload(
              line -> out.println(prefix + line), line -> out.println(prefix + "  " + line));
      if (!outcome.failed().isEmpty()) {
        failureMessage(outcome).lines().forEach(line -> out.println("berth: " + line));
      } else {
        out.println(
            "berth: reloaded "
                + outcome.loaded().file()
                + ": "
                + (outcome.applied().isEmpty()
                    ? "no changes"
                    : outcome.applied().size() + " change(s)"));
      }
    } catch (Reloader.Rejected e) {
      out.println("berth: " + e.getMessage());
      e.lines().forEach(line -> out.println("berth:   " + line));
    } catch (RuntimeException e) {
      out.println("berth: reload failed: " + e);
    }
    out.flush();
  }

  private static String failureMessage(Reloader.Outcome outcome) {
    List<String> lines = new ArrayList<>();
    lines.add("reload failed; what it applied before the failure stays applied");
    outcome.failed().forEach(line -> lines.add("failed: " + line));
    outcome.skipped().forEach(line -> lines.add("not applied: " + line));
    return String.join("\n", lines);
  }

  /** An event for the client; a client that went away does not stop the reload. */
  private static void send(Replies replies, String kind, String text) {
    try {
      replies.event(kind, Map.of("text", text));
    } catch (ClientGoneException e) {
      // The reload goes on to its end.
    }
  }
}
