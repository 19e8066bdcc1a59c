package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import dev.berth.supervisor.InstanceListener;
import dev.berth.upstream.DrainWatch;
import dev.berth.upstream.Peer;
import dev.berth.upstream.RequestOutcome;

/** A drain's watch on an instance ({@link InstanceListener.Watch}), kept by its upstream peer. */
final class PeerWatch implements InstanceListener.Watch {

  private final Peer peer;
  private final DrainWatch watch;

  PeerWatch(Peer peer) {
    this.peer = requireNonNull(peer, "peer");
    this.watch = peer.watch();
  }

  @Override
  public InstanceListener.Tally take() {
    DrainWatch.Tally tally = watch.take();
    return new InstanceListener.Tally(
        tally.open(), tally.listed().stream().map(PeerWatch::ended).toList(), tally.unlisted());
  }

  @Override
  public void close() {
    peer.unwatch(watch);
  }

  private static InstanceListener.Ended ended(RequestOutcome outcome) {
    return new InstanceListener.Ended(
        outcome.request(),
        outcome.outcome(),
        outcome.why(),
        outcome.cutByApp(),
        outcome.tally(),
        outcome.took(),
        outcome.endedNanos());
  }
}
