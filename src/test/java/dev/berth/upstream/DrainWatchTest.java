package dev.berth.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/**
 * A drain's watch on a peer: what it records while a drain watches (and nothing otherwise),
 * bounded, in words with the path but never the query.
 */
class DrainWatchTest {

  private final Peer peer = new Peer(new InetSocketAddress("127.0.0.1", 8000));

  private static HttpRequest get(String uri) {
    return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
  }

  @Test
  void aPeerNoDrainWatchesRecordsNothingItOnlyCounts() {
    peer.begin();
    peer.end(RequestOutcome.Kind.FINISHED, null, get("/a"), 200, System.nanoTime());
    assertThat(peer.active()).isZero();

    DrainWatch watch = peer.watch();
    assertThat(watch.take().listed()).isEmpty();
  }

  @Test
  void eachEndIsRecordedAndTheCountLoweredTogetherTheFirstFewWholeTheRestCounted() {
    for (int i = 0; i < 8; i++) {
      peer.begin();
    }
    DrainWatch watch = peer.watch();
    DrainWatch overlapping = peer.watch();
    long started = System.nanoTime();
    for (int i = 0; i < 6; i++) {
      peer.end(RequestOutcome.Kind.FINISHED, null, get("/r" + i + "?token=s3cret"), 200, started);
    }
    peer.end(
        RequestOutcome.Kind.CUT_MID_RESPONSE,
        RequestOutcome.Cause.CLOSED,
        get("/big"),
        200,
        started);

    DrainWatch.Tally tally = watch.take();
    assertThat(tally.open()).isEqualTo(1);
    assertThat(tally.listed()).hasSize(DrainWatch.LISTED);
    RequestOutcome first = tally.listed().get(0);
    assertThat(first.request()).isEqualTo("GET /r0");
    assertThat(first.outcome()).isEqualTo("finished 200");
    assertThat(first.took()).isNotNull();
    assertThat(tally.unlisted()).containsExactly(entry("finished", 1), entry("cut", 1));
    assertThat(overlapping.take()).as("each drain its own").isEqualTo(tally);
    peer.unwatch(overlapping);

    // A take starts afresh.
    peer.end(
        RequestOutcome.Kind.CUT_BEFORE_ANSWER,
        RequestOutcome.Cause.TIMED_OUT,
        new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload"),
        504,
        started);
    DrainWatch.Tally next = watch.take();
    assertThat(next.open()).isZero();
    RequestOutcome cut = next.listed().get(0);
    assertThat(cut.request()).isEqualTo("POST /upload");
    assertThat(cut.outcome()).isEqualTo("cut before answering, the client got 504");
    assertThat(cut.why()).isEqualTo("the app did not answer within the route's response timeout");
    assertThat(cut.cutByApp()).isTrue();
    assertThat(next.unlisted()).isEmpty();

    peer.unwatch(watch);
    peer.begin();
    peer.end(RequestOutcome.Kind.FINISHED, null, get("/late"), 200, started);
    assertThat(watch.take().listed()).as("no longer watched").isEmpty();
  }

  @Test
  void whatTheClientGotIsSaidForEachWayAnExchangeEnds() {
    assertThat(RequestOutcome.Kind.cut(RequestOutcome.Cause.CLOSED, true, 200))
        .isEqualTo(RequestOutcome.Kind.CUT_MID_RESPONSE);
    assertThat(RequestOutcome.Kind.cut(RequestOutcome.Cause.CLOSED, false, 502))
        .isEqualTo(RequestOutcome.Kind.CUT_BEFORE_ANSWER);
    assertThat(RequestOutcome.Kind.cut(RequestOutcome.Cause.CLOSED, false, 0))
        .isEqualTo(RequestOutcome.Kind.RETRIED);
    assertThat(RequestOutcome.Kind.cut(null, true, 200))
        .isEqualTo(RequestOutcome.Kind.CLIENT_ENDED);
    assertThat(RequestOutcome.Kind.cut(RequestOutcome.Cause.REFUSED, false, 413))
        .isEqualTo(RequestOutcome.Kind.CLIENT_ENDED);

    assertThat(outcome(RequestOutcome.Kind.CUT_MID_RESPONSE, RequestOutcome.Cause.FAILED, 200))
        .isEqualTo("cut mid-response, the client got part of a 200");
    assertThat(outcome(RequestOutcome.Kind.RETRIED, RequestOutcome.Cause.CLOSED, 0))
        .isEqualTo("not answered, retried on another instance");
    assertThat(outcome(RequestOutcome.Kind.CLIENT_ENDED, null, 0))
        .isEqualTo("ended by the client (its connection closed)");
    assertThat(outcome(RequestOutcome.Kind.CLIENT_ENDED, RequestOutcome.Cause.REFUSED, 413))
        .isEqualTo("cut, the client got 413");
  }

  @Test
  void thePathIsShownWithoutItsQueryAndCutShort() {
    assertThat(RequestOutcome.pathOf("/a/b?token=s3cret")).isEqualTo("/a/b");
    assertThat(RequestOutcome.pathOf("/a#frag")).isEqualTo("/a");
    assertThat(RequestOutcome.pathOf("http://host:80/p/q?x=1")).isEqualTo("/p/q");
    assertThat(RequestOutcome.pathOf("http://host?x=/y")).isEqualTo("/");
    assertThat(RequestOutcome.pathOf("*")).isEqualTo("*");
    assertThat(RequestOutcome.pathOf("/" + "x".repeat(200))).hasSize(83).endsWith("...");
  }

  private static String outcome(RequestOutcome.Kind kind, RequestOutcome.Cause cause, int status) {
    return new RequestOutcome(kind, cause, "GET", "/", status, null, 0).outcome();
  }

  private static java.util.Map.Entry<String, Integer> entry(String key, int value) {
    return java.util.Map.entry(key, value);
  }
}
