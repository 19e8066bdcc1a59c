package dev.berth.upstream;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The common case of an app's response, passed through as bytes: an HTTP/1.1 head that is whole in
 * one read, strictly well-formed, and framed by one Content-Length (or without a body: 204, 304, an
 * answer to HEAD). Its head is copied less its hop-by-hop fields and Server ({@link RawResponse})
 * and its body goes on in the slices it arrived in ({@link RawBody}), so none of it is decoded into
 * a header map and encoded again: that was about 40% of what a proxied request allocated.
 *
 * <p>Anything else goes to Netty's decoder, which sits behind this handler, for the rest of the
 * exchange: a head split over reads, chunked or close-delimited bodies, interim (1xx) responses,
 * any byte this scan does not expect. This scan accepts a subset of what Netty's strict decoder
 * accepts, and rejects nothing itself, so an unusual response is judged by Netty as before. So does
 * a head that qualifies but whose exchange will change its body ({@link UpstreamPool.RawHeadCheck}:
 * a response to compress), asked from the fields the scan finds.
 */
final class PassThrough extends ChannelInboundHandlerAdapter {

  /** Larger heads go to Netty's decoder (which takes up to 8 KiB of fields and a 4 KiB line). */
  static final int MAX_HEAD = 8192;

  private static final int MAX_FIELDS = 64;
  private static final byte[] VERSION = "HTTP/1.1 ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[][] HOP_BY_HOP = ascii(HopByHop.NAMES.toArray(String[]::new));

  private static final byte[] CONTENT_LENGTH = ascii("content-length")[0];
  private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding")[0];
  private static final byte[] CONNECTION = ascii("connection")[0];
  private static final byte[] LOCATION = ascii("location")[0];
  private static final byte[] CLOSE = ascii("close")[0];
  private static final byte[] KEEP_ALIVE = ascii("keep-alive")[0];
  private static final byte[] SERVER = ascii("server")[0];
  private static final byte[] CONTENT_TYPE = ascii("content-type")[0];
  private static final byte[] CONTENT_ENCODING = ascii("content-encoding")[0];
  private static final byte[] CONTENT_RANGE = ascii("content-range")[0];
  private static final byte[] CACHE_CONTROL = ascii("cache-control")[0];
  private static final byte[] NO_TRANSFORM = ascii("no-transform")[0];

  /** The check of an exchange that changes no body: every head that qualifies passes. */
  private static final UpstreamPool.RawHeadCheck PASSES = (status, length, type, plain) -> false;

  /** Each event loop's copy of the head being scanned, and where its field lines are. */
  private static final FastThreadLocal<Scratch> SCRATCH =
      new FastThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
          return new Scratch();
        }
      };

  private static final class Scratch {
    final byte[] bytes = new byte[MAX_HEAD];

    /** Where each field line starts; one more entry for where the blank line starts. */
    final int[] lineStarts = new int[MAX_FIELDS + 1];

    /** Where each field's name ends (its colon), negated for a field that is dropped. */
    final int[] nameEnds = new int[MAX_FIELDS];

    /** The Content-Type's value, as the exchange's check reads it. */
    final Ascii contentType = new Ascii(bytes);
  }

  /** Some bytes of a head as characters, without a copy: reused for every head of a loop. */
  private static final class Ascii implements CharSequence {
    private final byte[] bytes;
    private int from;
    private int to;

    Ascii(byte[] bytes) {
      this.bytes = bytes;
    }

    Ascii of(int from, int to) {
      this.from = from;
      this.to = to;
      return this;
    }

    @Override
    public int length() {
      return to - from;
    }

    @Override
    public char charAt(int index) {
      return (char) (bytes[from + index] & 0xff);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return toString().substring(start, end);
    }

    @Override
    public String toString() {
      return new String(bytes, from, to - from, StandardCharsets.ISO_8859_1);
    }
  }

  private static final byte TOKEN = 1;
  private static final byte FIELD = 2;

  /** What each byte value may be, as bits: a table, as the scan asks for every byte of a head. */
  private static final byte[] CLASSES = new byte[256];

  static {
    for (int c = 0; c < 256; c++) {
      boolean field = (c >= 0x20 && c != 0x7f) || c == '\t';
      boolean token =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      CLASSES[c] = (byte) ((field ? FIELD : 0) | (token ? TOKEN : 0));
    }
  }

  private enum Mode {
    /** The next bytes begin a response head. */
    HEAD,
    /** In the body of a passed-through response. */
    BODY,
    /** Netty's decoder has this exchange's response. */
    NETTY
  }

  private final UpstreamPool.Connection connection;
  private Mode mode = Mode.HEAD;
  private long remaining;

  PassThrough(UpstreamPool.Connection connection) {
    this.connection = requireNonNull(connection, "connection");
  }

  /** A new exchange holds the connection: its response begins with the next byte. */
  void reset() {
    mode = Mode.HEAD;
    remaining = 0;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in) || mode == Mode.NETTY) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (mode == Mode.HEAD) {
      UpstreamPool.Listener listener = connection.listener();
      RawResponse head =
          listener == null || listener.decodesResponse()
              ? null
              : scan(
                  in, listener.headRequest(), listener.rewritesLocation(), listener, ctx.alloc());
      if (head == null) {
        mode = Mode.NETTY;
        ctx.fireChannelRead(in);
        return;
      }
      remaining = head.bodyLength();
      mode = Mode.BODY;
      ctx.fireChannelRead(head);
    }
    body(ctx, in);
  }

  private void body(ChannelHandlerContext ctx, ByteBuf in) {
    int length = (int) Math.min(remaining, in.readableBytes());
    remaining -= length;
    boolean last = remaining == 0;
    if (length == 0 && !last) {
      in.release();
      return;
    }
    ByteBuf piece = length == in.readableBytes() ? in : in.readRetainedSlice(length);
    if (last) {
      mode = Mode.HEAD;
    }
    ctx.fireChannelRead(new RawBody(piece, last));
    if (piece != in) {
      // Bytes after the end of the response: the app answered what was not asked, and the
      // connection cannot be trusted with another exchange.
      in.release();
      ctx.close();
    }
  }

  /**
   * Scans the response head at {@code in}'s reader index. When it qualifies (see the class
   * comment), returns it with the reader index moved past it; otherwise returns null and leaves
   * {@code in} as it was.
   *
   * @param headRequest the request was a HEAD: no body, whatever the fields say
   * @param rewritesLocation the exchange rewrites Location (a stripped mount), which the decoded
   *     path does
   */
  static RawResponse scan(
      ByteBuf in, boolean headRequest, boolean rewritesLocation, ByteBufAllocator alloc) {
    return scan(in, headRequest, rewritesLocation, PASSES, alloc);
  }

  /**
   * As {@link #scan(ByteBuf, boolean, boolean, ByteBufAllocator)}, and a head that qualifies still
   * goes to Netty's decoder when {@code check} says the exchange must decode it.
   */
  static RawResponse scan(
      ByteBuf in,
      boolean headRequest,
      boolean rewritesLocation,
      UpstreamPool.RawHeadCheck check,
      ByteBufAllocator alloc) {
    int start = in.readerIndex();
    int limit = Math.min(in.readableBytes(), MAX_HEAD);
    // One copy into an array, then plain indexing: a ByteBuf's checked getByte per byte cost more
    // than the rest of the scan.
    Scratch scratch = SCRATCH.get();
    byte[] b = scratch.bytes;
    int[] lineStarts = scratch.lineStarts;
    int[] nameEnds = scratch.nameEnds;
    in.getBytes(start, b, 0, limit);
    if (limit < VERSION.length + 6
        || !Arrays.equals(b, 0, VERSION.length, VERSION, 0, VERSION.length)) {
      return null;
    }
    int p = VERSION.length;
    int status = 0;
    for (int i = 0; i < 3; i++) {
      if (b[p + i] < '0' || b[p + i] > '9') {
        return null;
      }
      status = status * 10 + (b[p + i] - '0');
    }
    if (status < 200 || status > 599 || b[p + 3] != ' ') {
      return null;
    }
    p += 4;
    while (p < limit && isFieldByte(b[p])) {
      p++;
    }
    p = lineEnd(b, p, limit);
    if (p < 0) {
      return null;
    }
    long contentLength = -1;
    int connectionStart = -1;
    int connectionEnd = -1;
    int typeStart = -1;
    int typeEnd = -1;
    // No Content-Encoding, Content-Range or Cache-Control no-transform: an edge may change it.
    boolean transformable = true;
    int fields = 0;
    while (true) {
      if (p + 1 >= limit) {
        return null;
      }
      if (b[p] == '\r') {
        if (b[p + 1] != '\n') {
          return null;
        }
        p += 2;
        break;
      }
      int nameStart = p;
      while (p < limit && isTokenByte(b[p])) {
        p++;
      }
      // Also refuses obs-fold and whitespace before the colon: neither starts with a token.
      if (p == nameStart || p >= limit || b[p] != ':' || fields == MAX_FIELDS) {
        return null;
      }
      int nameEnd = p++;
      lineStarts[fields] = nameStart;
      // The app's Server field is dropped as nginx drops it: the edge sends its own.
      boolean dropped =
          isHopByHop(b, nameStart, nameEnd) || equalsIgnoreCase(b, nameStart, nameEnd, SERVER);
      nameEnds[fields++] = dropped ? -nameEnd : nameEnd;
      while (p < limit && isBlank(b[p])) {
        p++;
      }
      int valueStart = p;
      while (p < limit && isFieldByte(b[p])) {
        p++;
      }
      int valueEnd = p;
      p = lineEnd(b, p, limit);
      if (p < 0) {
        return null;
      }
      while (valueEnd > valueStart && isBlank(b[valueEnd - 1])) {
        valueEnd--;
      }
      if (equalsIgnoreCase(b, nameStart, nameEnd, CONTENT_LENGTH)) {
        if (contentLength >= 0) {
          return null;
        }
        contentLength = digits(b, valueStart, valueEnd);
        if (contentLength < 0) {
          return null;
        }
      } else if (equalsIgnoreCase(b, nameStart, nameEnd, TRANSFER_ENCODING)) {
        return null;
      } else if (equalsIgnoreCase(b, nameStart, nameEnd, CONNECTION)) {
        if (connectionStart >= 0 || !isTokenList(b, valueStart, valueEnd)) {
          return null;
        }
        connectionStart = valueStart;
        connectionEnd = valueEnd;
      } else if (rewritesLocation && equalsIgnoreCase(b, nameStart, nameEnd, LOCATION)) {
        return null;
      } else if (equalsIgnoreCase(b, nameStart, nameEnd, CONTENT_TYPE)) {
        typeStart = valueStart;
        typeEnd = valueEnd;
      } else if (equalsIgnoreCase(b, nameStart, nameEnd, CONTENT_ENCODING)) {
        transformable &= valueEnd == valueStart;
      } else if (equalsIgnoreCase(b, nameStart, nameEnd, CONTENT_RANGE)) {
        transformable = false;
      } else if (equalsIgnoreCase(b, nameStart, nameEnd, CACHE_CONTROL)) {
        transformable &= !contains(b, valueStart, valueEnd, NO_TRANSFORM);
      }
    }
    int headEnd = p;
    lineStarts[fields] = headEnd - 2;
    boolean bodyless = headRequest || status == 204 || status == 304;
    if (!bodyless && contentLength < 0) {
      return null;
    }
    if (check.decodes(
        status,
        bodyless ? 0 : contentLength,
        typeStart < 0 ? null : scratch.contentType.of(typeStart, typeEnd),
        transformable)) {
      return null;
    }
    boolean keepAlive =
        connectionStart < 0
            || !listsToken(b, connectionStart, connectionEnd, CLOSE, 0, CLOSE.length);

    // "Connection: keep-alive" names only a hop-by-hop field: no other line need be matched to it.
    boolean listsFields =
        connectionStart >= 0 && !equalsIgnoreCase(b, connectionStart, connectionEnd, KEEP_ALIVE);
    // Room for the fields the edge adds: Server, and Connection.
    ByteBuf head = alloc.buffer(headEnd + 64);
    // The lines that go on, copied in runs: the status line and the fields up to the first that
    // does not, then from the next one on.
    int runStart = 0;
    for (int i = 0; i < fields; i++) {
      int nameEnd = nameEnds[i];
      boolean dropped =
          nameEnd < 0
              || (listsFields
                  && listsToken(b, connectionStart, connectionEnd, b, lineStarts[i], nameEnd));
      if (dropped) {
        head.writeBytes(b, runStart, lineStarts[i] - runStart);
        runStart = lineStarts[i + 1];
      }
    }
    head.writeBytes(b, runStart, headEnd - 2 - runStart);
    in.readerIndex(start + headEnd);
    return new RawResponse(head, status, keepAlive, bodyless ? 0 : contentLength);
  }

  /** The index after the CRLF at {@code p}, or -1 when there is none. */
  private static int lineEnd(byte[] b, int p, int limit) {
    return p + 1 < limit && b[p] == '\r' && b[p + 1] == '\n' ? p + 2 : -1;
  }

  /** Whether [from, to) of {@code b} holds {@code lowerCase} anywhere, in any case. */
  private static boolean contains(byte[] b, int from, int to, byte[] lowerCase) {
    for (int p = from; p + lowerCase.length <= to; p++) {
      if (equalsIgnoreCase(b, p, p + lowerCase.length, lowerCase)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isHopByHop(byte[] b, int nameStart, int nameEnd) {
    for (byte[] name : HOP_BY_HOP) {
      if (equalsIgnoreCase(b, nameStart, nameEnd, name)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the comma-separated tokens in [from, to) of {@code b} include the name in [nameStart,
   * nameEnd) of {@code names}, in any case.
   */
  private static boolean listsToken(
      byte[] b, int from, int to, byte[] names, int nameStart, int nameEnd) {
    int p = from;
    while (p < to) {
      while (p < to && (isBlank(b[p]) || b[p] == ',')) {
        p++;
      }
      int tokenStart = p;
      while (p < to && isTokenByte(b[p])) {
        p++;
      }
      if (p > tokenStart && sameIgnoringCase(b, tokenStart, p, names, nameStart, nameEnd)) {
        return true;
      }
      // Whatever stops a token (a blank, a comma) is skipped at the top.
      if (p == tokenStart) {
        p++;
      }
    }
    return false;
  }

  /** Tokens separated by commas and blanks, nothing else (a Connection field's value). */
  private static boolean isTokenList(byte[] b, int from, int to) {
    for (int p = from; p < to; p++) {
      if (!isTokenByte(b[p]) && !isBlank(b[p]) && b[p] != ',') {
        return false;
      }
    }
    return true;
  }

  /** The decimal number in [from, to), or -1 when it is not one (empty, a sign, too long). */
  private static long digits(byte[] b, int from, int to) {
    if (from == to || to - from > 18) {
      return -1;
    }
    long value = 0;
    for (int p = from; p < to; p++) {
      if (b[p] < '0' || b[p] > '9') {
        return -1;
      }
      value = value * 10 + (b[p] - '0');
    }
    return value;
  }

  private static boolean equalsIgnoreCase(byte[] b, int from, int to, byte[] lowerCase) {
    if (to - from != lowerCase.length) {
      return false;
    }
    for (int i = 0; i < lowerCase.length; i++) {
      if (toLower(b[from + i]) != lowerCase[i]) {
        return false;
      }
    }
    return true;
  }

  private static boolean sameIgnoringCase(
      byte[] a, int aFrom, int aTo, byte[] b, int bFrom, int bTo) {
    if (aTo - aFrom != bTo - bFrom) {
      return false;
    }
    for (int i = 0; i < aTo - aFrom; i++) {
      if (toLower(a[aFrom + i]) != toLower(b[bFrom + i])) {
        return false;
      }
    }
    return true;
  }

  private static byte toLower(byte b) {
    return b >= 'A' && b <= 'Z' ? (byte) (b + ('a' - 'A')) : b;
  }

  private static boolean isBlank(byte b) {
    return b == ' ' || b == '\t';
  }

  /** A byte of a field value or reason phrase: visible ASCII, blanks, obs-text; no controls. */
  private static boolean isFieldByte(byte b) {
    return (CLASSES[b & 0xff] & FIELD) != 0;
  }

  /** tchar (RFC 9110 5.6.2). */
  private static boolean isTokenByte(byte b) {
    return (CLASSES[b & 0xff] & TOKEN) != 0;
  }

  private static byte[][] ascii(String... names) {
    byte[][] bytes = new byte[names.length][];
    for (int i = 0; i < names.length; i++) {
      bytes[i] = names[i].getBytes(StandardCharsets.US_ASCII);
    }
    return bytes;
  }
}
