package dev.berth.supervisor;

/** Told when an instance may take traffic; the answer lets the supervisor take it out again. */
public interface InstanceListener {

  /** The instance at {@code endpoint} is ready: send it traffic. */
  Routed ready(String app, int instance, Endpoint endpoint);

  /** An instance in rotation, as the edge sees it. */
  interface Routed {
    /** Sends it no new requests; those in flight go on. Idempotent. */
    void withdraw();

    /** Requests sent to it and not yet finished. */
    int inFlight();

    /** Requests sent to it since it became ready (what max_requests counts). */
    long requests();
  }
}
