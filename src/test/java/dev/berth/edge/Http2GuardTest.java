package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.EdgeSettings;
import dev.berth.config.Http2Limits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalServerChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Flags;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2FrameTypes;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The guards of an HTTP/2 connection, in process: Http2Codecs' handlers and a trivial responder on
 * an EmbeddedChannel, and a client that writes raw frames (Netty's frame writer, or bytes where the
 * writer would refuse).
 */
class Http2GuardTest {

  private static final Duration IDLE = Duration.ofSeconds(40);
  private static final Duration SEND = Duration.ofSeconds(20);

  private final EmbeddedChannel scratch = new EmbeddedChannel(new ChannelHandlerAdapter() {});
  private final ChannelHandlerContext out = scratch.pipeline().firstContext();
  private final DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();

  /** A client connection of a server channel (the multiplexer asks, to know which side it is). */
  private final EmbeddedChannel server =
      new EmbeddedChannel(new LocalServerChannel(), DefaultChannelId.newInstance(), true, false);

  /** What reached the end of the pipeline: Netty fires each connection error there. */
  private final List<Throwable> errors = new ArrayList<>();

  private final ByteBuf received = Unpooled.buffer();
  private final DefaultHttp2FrameReader reader = new DefaultHttp2FrameReader();
  private final List<String> frames = new ArrayList<>();

  Http2GuardTest() {
    server.freezeTime();
    Http2Limits limits = new Http2Limits(4, 16 * 1024, 65_535, IDLE, SEND);
    EdgeSettings standard = EdgeSettings.standard();
    EdgeSettings settings =
        new EdgeSettings(
            standard.maxHeaderSize(),
            standard.maxUriLength(),
            standard.clientHeaderTimeout(),
            standard.keepaliveTimeout(),
            standard.maxConnections(),
            standard.trustedProxies(),
            standard.forwardedHeader(),
            standard.routeDefaults(),
            standard.threads(),
            standard.transport(),
            limits);
    Http2Codecs.addConnectionHandlers(server.pipeline(), settings);
    server.pipeline().addLast(new Http2MultiplexHandler(new Http2TestResponder()));
    server
        .pipeline()
        .addLast(
            new ChannelInboundHandlerAdapter() {
              @Override
              public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                errors.add(cause);
              }
            });
  }

  @AfterEach
  void close() {
    server.finishAndReleaseAll();
    scratch.finishAndReleaseAll();
    received.release();
  }

  @Test
  void servesARequest() {
    start(new Http2Settings());
    get(1, "/");
    assertThat(read()).contains("HEADERS 1 200", "DATA 1 2 end");
    assertThat(server.isOpen()).isTrue();
  }

  @Test
  void rapidResetGetsEnhanceYourCalm() {
    start(new Http2Settings());
    for (int id = 1; id <= 2 * (Http2Codecs.MAX_RESETS + 1); id += 2) {
      writer.writeHeaders(out, id, request("/"), 0, false, out.newPromise());
      writer.writeRstStream(out, id, Http2Error.CANCEL.code(), out.newPromise());
    }
    send();
    assertThat(read()).contains(goAway(Http2Error.ENHANCE_YOUR_CALM));
    assertThat(server.isOpen()).isFalse();
  }

  @Test
  void smallContinuationFramesGetEnhanceYourCalm() {
    start(new Http2Settings());
    ByteBuf frames = Unpooled.buffer();
    frame(frames, Http2FrameTypes.HEADERS, 0, 1, new byte[] {(byte) 0x82});
    for (int i = 0; i <= Http2Codecs.MAX_SMALL_CONTINUATIONS; i++) {
      frame(frames, Http2FrameTypes.CONTINUATION, 0, 1, new byte[] {(byte) 0x84});
    }
    server.writeInbound(frames);
    assertThat(read()).contains(goAway(Http2Error.ENHANCE_YOUR_CALM));
    assertThat(server.isOpen()).isFalse();
  }

  @Test
  void aHeaderBlockPastTheLimitGetsProtocolError() {
    start(new Http2Settings());
    ByteBuf frames = Unpooled.buffer();
    frame(frames, Http2FrameTypes.HEADERS, 0, 1, new byte[] {(byte) 0x82});
    // Large CONTINUATION frames, so that only the block's size stops them: 16 KiB * 1.25.
    for (int i = 0; i < 3; i++) {
      frame(frames, Http2FrameTypes.CONTINUATION, 0, 1, new byte[10_000]);
    }
    server.writeInbound(frames);
    assertThat(read()).contains(goAway(Http2Error.PROTOCOL_ERROR));
    assertThat(server.isOpen()).isFalse();
  }

  @Test
  void aHeaderListDecodedPastTheLimitGets431ThenEnhanceYourCalm() {
    start(new Http2Settings());
    ByteBuf frames = Unpooled.buffer();
    frame(
        frames,
        Http2FrameTypes.HEADERS,
        Http2Flags.END_HEADERS | Http2Flags.END_STREAM,
        1,
        hpackBomb(10));
    server.writeInbound(frames);
    List<String> read = read();
    assertThat(read).contains("HEADERS 1 431", goAway(Http2Error.ENHANCE_YOUR_CALM));
    assertThat(read.indexOf("HEADERS 1 431"))
        .isLessThan(read.indexOf(goAway(Http2Error.ENHANCE_YOUR_CALM)));
    assertThat(server.isOpen()).isFalse();
  }

  @Test
  void pingFloodGetsEnhanceYourCalm() {
    start(new Http2Settings());
    for (int i = 0; i < ControlFrameLimits.MAX_PINGS; i++) {
      writer.writePing(out, false, i, out.newPromise());
    }
    send();
    assertThat(read())
        .filteredOn(f -> f.startsWith("PING ACK"))
        .hasSize(ControlFrameLimits.MAX_PINGS);
    assertThat(server.isOpen()).isTrue();

    writer.writePing(out, false, 0, out.newPromise());
    send();
    assertThat(read()).contains(goAway(Http2Error.ENHANCE_YOUR_CALM));
    assertThat(server.isOpen()).isFalse();
  }

  @Test
  void pingsSpreadOverWindowsAreAnswered() {
    start(new Http2Settings());
    for (int window = 0; window < 3; window++) {
      for (int i = 0; i < ControlFrameLimits.MAX_PINGS; i++) {
        writer.writePing(out, false, i, out.newPromise());
      }
      send();
      server.advanceTimeBy(ControlFrameLimits.WINDOW, TimeUnit.NANOSECONDS);
    }
    assertThat(read())
        .filteredOn(f -> f.startsWith("PING ACK"))
        .hasSize(3 * ControlFrameLimits.MAX_PINGS);
    assertThat(server.isOpen()).isTrue();
  }

  @Test
  void settingsFloodGetsEnhanceYourCalm() {
    start(new Http2Settings());
    for (int i = 0; i < ControlFrameLimits.MAX_SETTINGS; i++) {
      writer.writeSettings(out, new Http2Settings(), out.newPromise());
    }
    send();
    assertThat(server.isOpen()).isFalse();
    assertThat(read()).contains(goAway(Http2Error.ENHANCE_YOUR_CALM));
  }

  @Test
  void anEvenStreamIdGetsProtocolError() {
    start(new Http2Settings());
    writer.writeHeaders(out, 2, request("/"), 0, true, out.newPromise());
    send();
    assertThat(read()).contains(goAway(Http2Error.PROTOCOL_ERROR));
    assertThat(server.isOpen()).isFalse();
  }

  @Test
  void headersOnStreamZeroGetProtocolError() {
    start(new Http2Settings());
    ByteBuf frames = Unpooled.buffer();
    frame(frames, Http2FrameTypes.HEADERS, Http2Flags.END_HEADERS, 0, new byte[] {(byte) 0x82});
    server.writeInbound(frames);
    assertThat(read()).contains(goAway(Http2Error.PROTOCOL_ERROR));
    assertThat(server.isOpen()).isFalse();
  }

  @Test
  void dataOnAStreamNeverOpenedGetsProtocolError() {
    start(new Http2Settings());
    writer.writeData(out, 7, Unpooled.wrappedBuffer(new byte[10]), 0, true, out.newPromise());
    send();
    assertThat(read()).contains(goAway(Http2Error.PROTOCOL_ERROR));
    assertThat(server.isOpen()).isFalse();
  }

  /**
   * Netty forgets closed streams, so a stream skipped (implicitly closed) cannot be told from one
   * that ended: both get the lesser error, RST_STREAM STREAM_CLOSED.
   */
  @Test
  void aStreamIdBelowAnEarlierOneGetsStreamClosed() {
    start(new Http2Settings());
    get(5, "/");
    get(3, "/");
    assertThat(read()).contains("HEADERS 5 200", "RST_STREAM 3 " + Http2Error.STREAM_CLOSED.code());
    assertThat(server.isOpen()).isTrue();
  }

  /** Each frame on a closed stream costs an RST_STREAM: past Netty's count of those, GOAWAY. */
  @Test
  void framesOnClosedStreamsPastTheResetCountGetEnhanceYourCalm() {
    start(new Http2Settings());
    get(1, "/");
    for (int i = 0; i <= Http2Codecs.MAX_RESETS; i++) {
      writer.writeData(out, 1, Unpooled.wrappedBuffer(new byte[1]), 0, false, out.newPromise());
    }
    send();
    assertThat(read()).contains(goAway(Http2Error.ENHANCE_YOUR_CALM));
    assertThat(server.isOpen()).isFalse();
  }

  @Test
  void dataOnAClosedStreamGetsStreamClosed() {
    start(new Http2Settings());
    get(1, "/");
    assertThat(read()).contains("DATA 1 2 end");
    writer.writeData(out, 1, Unpooled.wrappedBuffer(new byte[10]), 0, true, out.newPromise());
    send();
    assertThat(read()).anyMatch(f -> f.endsWith(" " + Http2Error.STREAM_CLOSED.code()));
  }

  @Test
  void streamsPastTheLimitAreRefused() {
    start(new Http2Settings());
    for (int id = 1; id <= 9; id += 2) {
      writer.writeHeaders(out, id, request("/"), 0, false, out.newPromise());
    }
    send();
    assertThat(read()).contains("RST_STREAM 9 " + Http2Error.REFUSED_STREAM.code());
    assertThat(server.isOpen()).isTrue();
  }

  @Test
  void anIdleConnectionGetsGoAwayNoErrorAndIsClosed() {
    start(new Http2Settings());
    get(1, "/");
    read();
    server.advanceTimeBy(IDLE.toNanos() / 2, TimeUnit.NANOSECONDS);
    server.runScheduledPendingTasks();
    assertThat(server.isOpen()).isTrue();
    server.advanceTimeBy(IDLE.toNanos(), TimeUnit.NANOSECONDS);
    server.runScheduledPendingTasks();
    assertThat(read()).contains(goAway(Http2Error.NO_ERROR));
    assertThat(server.isOpen()).isFalse();
  }

  @Test
  void aStreamWithNoWindowIsResetAfterTheSendTimeout() {
    start(new Http2Settings().initialWindowSize(0));
    get(1, "/big");
    assertThat(read()).contains("HEADERS 1 200").noneMatch(f -> f.startsWith("DATA"));
    passSendTimeout();
    assertThat(read()).contains("RST_STREAM 1 " + Http2Error.CANCEL.code());
    assertThat(server.isOpen()).isTrue();
    get(3, "/");
    assertThat(read()).contains("HEADERS 3 200");
  }

  @Test
  void aWindowUpdateStartsTheSendTimeoutAgain() {
    start(new Http2Settings().initialWindowSize(0));
    get(1, "/big");
    for (int i = 0; i < 4; i++) {
      wait(SEND.dividedBy(2));
      writer.writeWindowUpdate(out, 1, 1, out.newPromise());
      send();
    }
    assertThat(read()).doesNotContain("RST_STREAM 1 " + Http2Error.CANCEL.code());
    passSendTimeout();
    assertThat(read()).contains("RST_STREAM 1 " + Http2Error.CANCEL.code());
  }

  @Test
  void aConnectionWithNoWindowGetsEnhanceYourCalmAfterTheSendTimeout() {
    start(new Http2Settings().initialWindowSize(1024 * 1024));
    get(1, "/big");
    assertThat(read()).filteredOn(f -> f.startsWith("DATA")).isNotEmpty();
    passSendTimeout();
    assertThat(read()).contains(goAway(Http2Error.ENHANCE_YOUR_CALM));
    assertThat(server.isOpen()).isFalse();
  }

  private void passSendTimeout() {
    wait(SEND.plus(SEND.dividedBy(2)));
  }

  /** Moves the clock on by {@code d}, a second at a time, running the tasks due. */
  private void wait(Duration d) {
    for (long s = 0; s < d.toSeconds(); s++) {
      server.advanceTimeBy(1, TimeUnit.SECONDS);
      server.runScheduledPendingTasks();
    }
  }

  private static String goAway(Http2Error error) {
    return "GOAWAY " + error.code();
  }

  /** The client's preface and its SETTINGS, and the ack of the server's. */
  private void start(Http2Settings settings) {
    server.writeInbound(Http2CodecUtil.connectionPrefaceBuf());
    writer.writeSettings(out, settings, out.newPromise());
    writer.writeSettingsAck(out, out.newPromise());
    send();
  }

  private void get(int streamId, String path) {
    writer.writeHeaders(out, streamId, request(path), 0, true, out.newPromise());
    send();
  }

  private static Http2Headers request(String path) {
    return new DefaultHttp2Headers().method("GET").scheme("http").authority("a.test").path(path);
  }

  /** Gives the server what the writer wrote. */
  private void send() {
    scratch.flushOutbound();
    for (Object o; (o = scratch.readOutbound()) != null; ) {
      server.writeInbound(o);
    }
    server.runPendingTasks();
  }

  /** The frames the server wrote since the last call, in words. */
  private List<String> read() {
    server.runPendingTasks();
    for (Object o; (o = server.readOutbound()) != null; ) {
      ByteBuf buf = (ByteBuf) o;
      received.writeBytes(buf);
      buf.release();
    }
    frames.clear();
    try {
      while (received.readableBytes() >= Http2CodecUtil.FRAME_HEADER_LENGTH
          && received.readableBytes()
              >= Http2CodecUtil.FRAME_HEADER_LENGTH
                  + received.getUnsignedMedium(received.readerIndex())) {
        reader.readFrame(out, received, new Recorder());
      }
    } catch (Http2Exception e) {
      throw new AssertionError(e);
    }
    received.discardReadBytes();
    return List.copyOf(frames);
  }

  private static void frame(ByteBuf out, byte type, int flags, int streamId, byte[] payload) {
    out.writeMedium(payload.length);
    out.writeByte(type);
    out.writeByte(flags);
    out.writeInt(streamId);
    out.writeBytes(payload);
  }

  /**
   * A header block of a few KiB that decodes to {@code repeats} times 4 KiB: one large field added
   * to HPACK's table, then referred to by its index, a byte each time.
   */
  static byte[] hpackBomb(int repeats) {
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    block.write(0x82); // :method GET
    block.write(0x86); // :scheme http
    block.write(0x84); // :path /
    byte[] name = "x-bomb".getBytes(StandardCharsets.US_ASCII);
    byte[] value = "a".repeat(4000).getBytes(StandardCharsets.US_ASCII);
    block.write(0x40); // literal with incremental indexing, new name
    block.write(name.length);
    block.writeBytes(name);
    // 4000 in HPACK's 7-bit prefix integer: 127, then 3873 in 7-bit groups.
    block.write(0x7f);
    int rest = value.length - 127;
    while (rest >= 128) {
      block.write((rest & 0x7f) | 0x80);
      rest >>>= 7;
    }
    block.write(rest);
    block.writeBytes(value);
    for (int i = 0; i < repeats; i++) {
      block.write(0x80 | 62); // the field just added
    }
    return block.toByteArray();
  }

  private final class Recorder extends Http2FrameAdapter {
    @Override
    public void onHeadersRead(
        ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding, boolean end) {
      frames.add("HEADERS " + streamId + " " + headers.status());
    }

    @Override
    public int onDataRead(
        ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean end) {
      frames.add("DATA " + streamId + " " + data.readableBytes() + (end ? " end" : ""));
      return data.readableBytes() + padding;
    }

    @Override
    public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
      frames.add("RST_STREAM " + streamId + " " + errorCode);
    }

    @Override
    public void onGoAwayRead(
        ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
      frames.add("GOAWAY " + errorCode);
    }

    @Override
    public void onPingAckRead(ChannelHandlerContext ctx, long data) {
      frames.add("PING ACK " + data);
    }
  }
}
