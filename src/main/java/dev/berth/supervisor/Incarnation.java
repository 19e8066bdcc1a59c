package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.logs.LinePump;
import java.time.Duration;
import java.time.Instant;

/**
 * One run of an instance's command: a process on an endpoint. A restart or a rolling replace makes
 * a new incarnation of the same instance (same number, another endpoint).
 */
final class Incarnation {

  private final String tag;
  private final String type;
  private final Endpoint endpoint;
  private final Process process;
  private final LinePump output;
  private final Instant started;
  private volatile InstanceListener.Routed routed;
  private volatile boolean stopping;

  /** When its stop began (SIGTERM), by {@link System#nanoTime}; 0 before. */
  private volatile long terminating;

  private volatile boolean killed;

  /**
   * @param tag its instance, as logs and messages name it (web.1)
   * @param endpoint where it listens; null for a process type other than web
   */
  Incarnation(String tag, Endpoint endpoint, Process process, LinePump output) {
    this(tag, null, endpoint, process, output);
  }

  /**
   * @param type its process type (worker), whose stop_timeout it gets; null for none (a phase)
   */
  Incarnation(String tag, String type, Endpoint endpoint, Process process, LinePump output) {
    this(
        tag,
        type,
        endpoint,
        process,
        output,
        process.toHandle().info().startInstant().orElse(Instant.now()));
  }

  /**
   * @param started when the process started (a fake process in a test has no handle to ask)
   */
  Incarnation(String tag, Endpoint endpoint, Process process, LinePump output, Instant started) {
    this(tag, null, endpoint, process, output, started);
  }

  /** With its type and start time (a fake process in a test has no handle to ask). */
  Incarnation(
      String tag,
      String type,
      Endpoint endpoint,
      Process process,
      LinePump output,
      Instant started) {
    this.tag = requireNonNull(tag, "tag");
    this.type = type;
    this.endpoint = endpoint;
    this.process = requireNonNull(process, "process");
    this.output = requireNonNull(output, "output");
    this.started = requireNonNull(started, "started");
  }

  String tag() {
    return tag;
  }

  /**
   * How long it has from SIGTERM to SIGKILL: its type's stop_timeout ({@link App#stopTimeout}), or
   * the app's without a type.
   */
  Duration stopTimeout(App app) {
    return type == null ? app.run().stopTimeout() : app.stopTimeout(type);
  }

  /** Where it listens, or null for a process type other than web. */
  Endpoint endpoint() {
    return endpoint;
  }

  Process process() {
    return process;
  }

  LinePump output() {
    return output;
  }

  Instant started() {
    return started;
  }

  void routed(InstanceListener.Routed routed) {
    this.routed = routed;
  }

  /** Its peer, in rotation or on standby; null before it was ready. */
  InstanceListener.Routed routed() {
    return routed;
  }

  /** Takes it out of rotation, if it was in. */
  void withdraw() {
    InstanceListener.Routed r = routed;
    if (r != null) {
      r.withdraw();
    }
  }

  int inFlight() {
    InstanceListener.Routed r = routed;
    return r == null ? 0 : r.inFlight();
  }

  /** Requests the edge sent it; 0 before it was routed. */
  long requests() {
    InstanceListener.Routed r = routed;
    return r == null ? 0 : r.requests();
  }

  /** Upgraded connections (WebSockets) open through its peer. */
  int tunnels() {
    InstanceListener.Routed r = routed;
    return r == null ? 0 : r.tunnels();
  }

  /** Ends the upgraded connections still open through its peer, once its drain is over. */
  void closeTunnels() {
    InstanceListener.Routed r = routed;
    if (r != null) {
      r.closeTunnels();
    }
  }

  boolean stopping() {
    return stopping;
  }

  void markStopping() {
    stopping = true;
  }

  /**
   * Its stop begins now: SIGTERM follows (what a drain's report compares its requests' ends to).
   */
  void markTerminating() {
    if (terminating == 0) {
      terminating = System.nanoTime();
    }
  }

  /** Whether its stop had begun at {@code nanos}. */
  boolean terminatingBy(long nanos) {
    long began = terminating;
    return began != 0 && nanos - began >= 0;
  }

  /** Its stop needed SIGKILL after the stop_timeout. */
  void markKilled() {
    killed = true;
  }

  /** Whether berth had to kill it (SIGKILL) at its stop. */
  boolean killed() {
    return killed;
  }
}
