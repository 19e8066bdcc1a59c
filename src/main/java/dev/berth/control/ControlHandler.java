package dev.berth.control;

/**
 * Runs one control command. Called on the connection's own virtual thread, so it may block (wait
 * for instances to restart, follow a log) for as long as the request lasts.
 *
 * <p>It answers through {@code replies}: any number of events, then one final result or error. If
 * it returns without a final reply, the client gets {@code {"ok":true,"result":{}}}. A {@link
 * ControlException} it throws becomes an error with that code; any other exception becomes an error
 * with code {@code failed} (and is logged).
 */
@FunctionalInterface
public interface ControlHandler {

  void handle(Request request, Replies replies) throws Exception;
}
