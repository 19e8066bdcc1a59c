package dev.berth.control;

import java.time.Duration;

/**
 * The answer channel of one control request. Thread-safe: events may come from other threads (a log
 * pump, a restart in progress) while the handler waits.
 *
 * <p>Writes block while the client's socket buffer is full: a slow client slows down whoever sends
 * it events. Do not send from a thread that must never block.
 */
public interface Replies {

  /**
   * Sends an event line {@code {"event":kind, ...fields}}.
   *
   * @param fields a Map, record or Jackson object whose properties are the event's fields (not
   *     {@code "event"}); null for none
   * @throws ClientGoneException when the request is over: client gone, server shutting down, or a
   *     final reply already sent. A follower ends on it.
   */
  void event(String kind, Object fields) throws ClientGoneException;

  /**
   * Sends the final line {@code {"ok":true,"result":result}}; the connection then closes. Ignored
   * when the request is already over.
   *
   * @param result a Map, record or Jackson object (serialised to a JSON object); null for {@code
   *     {}}
   */
  void result(Object result);

  /** Sends the final line {@code {"ok":false,"error":message,"code":code}}; ignored when over. */
  void error(String code, String message);

  /**
   * Whether events can still be delivered: no final reply yet, client connected, server running.
   */
  boolean open();

  /**
   * Runs {@code action} once when the request is over, for whatever reason (on the thread that
   * notices); at once if it already is. For followers: unregister a listener here.
   */
  void onClose(Runnable action);

  /**
   * Waits until the request is over (client gone, server shutting down, final reply sent).
   *
   * @return true if it is over, false if the timeout passed first
   */
  boolean awaitClosed(Duration timeout) throws InterruptedException;

  /**
   * {@link #awaitClosed(Duration)} without a timeout: how a follower waits for its client to go.
   */
  void awaitClosed() throws InterruptedException;
}
