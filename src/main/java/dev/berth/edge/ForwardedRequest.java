package dev.berth.edge;

import dev.berth.config.EdgeSettings;
import dev.berth.config.Route;
import dev.berth.upstream.AppendedFields;
import dev.berth.upstream.HopByHop;
import dev.berth.upstream.SlicedTarget;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The request head as berth forwards it to an app: origin-form target (prefix kept with
 * SCRIPT_NAME, or stripped), hop-by-hop fields removed, and the X-Forwarded-* fields that tell the
 * app who asked and how. Those are kept from the client only when it is a trusted proxy.
 */
final class ForwardedRequest {

  private static final List<AsciiString> HOP_BY_HOP = names(HopByHop.NAMES.toArray(String[]::new));

  /** Only berth decides the mount point; a client (even a trusted proxy) never sets it. */
  private static final List<AsciiString> MOUNT = names("script_name", "script-name");

  // Names and berth's own values as AsciiString: their bytes are copied in one go, where a
  // String's are written char by char (that loop was 5% of a proxied request's CPU time).
  private static final AsciiString XFF = AsciiString.cached("x-forwarded-for");
  private static final AsciiString XF_PROTO = AsciiString.cached("x-forwarded-proto");
  private static final AsciiString XF_HOST = AsciiString.cached("x-forwarded-host");
  private static final AsciiString XF_PORT = AsciiString.cached("x-forwarded-port");
  private static final AsciiString XF_PREFIX = AsciiString.cached("x-forwarded-prefix");
  private static final AsciiString FORWARDED = AsciiString.cached("forwarded");
  private static final AsciiString SCRIPT_NAME = AsciiString.cached("SCRIPT_NAME");
  private static final AsciiString HTTP = AsciiString.cached("http");
  private static final AsciiString HTTPS = AsciiString.cached("https");
  private static final int COLON_SPACE = (':' << 8) | ' ';
  private static final int CRLF = ('\r' << 8) | '\n';

  /**
   * The fields berth writes: a client's are dropped, a trusted proxy's values carried into berth's.
   */
  private static final List<AsciiString> CLIENT_CLAIMS =
      List.of(XFF, XF_PROTO, XF_HOST, XF_PORT, XF_PREFIX, FORWARDED);

  // What a forwarded message loses: a response, and a request (whose forwarding fields berth
  // writes).
  private static final AsciiString[] FROM_APP = HOP_BY_HOP.toArray(AsciiString[]::new);
  private static final AsciiString[] FROM_CLIENT = concat(HOP_BY_HOP, MOUNT, CLIENT_CLAIMS);

  /** Route prefixes as header values, by path; as many as routes were ever configured. */
  private static final Map<String, AsciiString> PREFIXES = new ConcurrentHashMap<>();

  private ForwardedRequest() {}

  /**
   * Strips {@code request}'s header map in place (the client's request is not forwarded elsewhere,
   * and copying the map was a third of what a proxied request allocated) and returns the head to
   * send upstream, which shares that map. berth's own fields are not added to the map: the head
   * carries them, and the upstream encoder writes them after the map's (adding them had cost a
   * fifth of what a proxied request allocated, and checks Netty makes on every value).
   */
  static Head of(HttpRequest request, Route route, ClientAddress client, EdgeSettings settings) {
    HttpHeaders headers = request.headers();
    boolean trusted = settings.trustedProxies().trustsPeer(client.peer(), client.unix());
    // What a trusted proxy said about its client; its lines of a field are joined, as RFC 9110
    // 5.3 allows. Then they leave the map, as a client's do, and go after it with berth's own.
    String theirChain = trusted ? joined(headers, XFF) : null;
    String theirProto = trusted ? joined(headers, XF_PROTO) : null;
    String theirHost = trusted ? joined(headers, XF_HOST) : null;
    String theirPort = trusted ? joined(headers, XF_PORT) : null;
    String theirPrefix = trusted ? headers.get(XF_PREFIX) : null;
    String theirForwarded = trusted ? joined(headers, FORWARDED) : null;
    strip(headers, FROM_CLIENT);

    AsciiString peerIp = client.ip();
    String host = headers.get(HttpHeaderNames.HOST);
    String prefix = route.path().equals("/") ? "" : route.path();
    AsciiString cachedPrefix =
        prefix.isEmpty() ? null : PREFIXES.computeIfAbsent(prefix, AsciiString::cached);

    int stripped = !prefix.isEmpty() && route.stripPrefix() ? prefix.length() : 0;
    Head head = new Head(request, originForm(request.uri()), stripped, headers);
    // A trusted proxy's chain is extended with its own address, as nginx's
    // $proxy_add_x_forwarded_for; a unix-socket peer has none to add, so a trusted one's chain
    // goes on as it came (ending with the client), and an untrusted one's gets none at all.
    head.forwardedFor =
        peerIp == null ? theirChain : theirChain == null ? peerIp : theirChain + ", " + peerIp;
    head.proto = theirProto != null ? theirProto : client.secure() ? HTTPS : HTTP;
    head.host = theirHost != null ? theirHost : host;
    head.port = theirPort != null ? theirPort : client.localPort();
    head.prefix =
        prefix.isEmpty()
            ? theirPrefix
            : theirPrefix == null ? cachedPrefix : stripTrailingSlash(theirPrefix) + prefix;
    if (settings.forwardedHeader()) {
      String ours = forwardedElement(peerIp == null ? null : client.text(), host, client.secure());
      head.forwarded = theirForwarded == null ? ours : theirForwarded + ", " + ours;
    } else {
      head.forwarded = theirForwarded;
    }
    if (!prefix.isEmpty() && !route.stripPrefix()) {
      // WSGI servers (gunicorn, uWSGI) take the mount point as SCRIPT_NAME and cut it from the
      // path they hand the app, so url_for() builds links under the prefix.
      head.scriptName = cachedPrefix;
    }
    return head;
  }

  /**
   * The head berth sends upstream: the client's method and map, the target in origin form, and the
   * forwarding fields, each null when it is not sent.
   */
  static final class Head extends DefaultHttpRequest implements AppendedFields, SlicedTarget {
    /**
     * The target is the source (Netty's uri field: the client's target in origin form) from {@code
     * from} on, a stripped prefix's length, after a slash where that rest does not begin with one
     * ("/app?q" mounted at "/app" goes up as "/?q").
     */
    private final int from;

    private CharSequence forwardedFor;
    private CharSequence proto;
    private CharSequence host;
    private CharSequence port;
    private CharSequence prefix;
    private CharSequence forwarded;
    private CharSequence scriptName;

    private Head(HttpRequest request, String source, int from, HttpHeaders headers) {
      super(HttpVersion.HTTP_1_1, request.method(), source, headers);
      this.from = from;
    }

    /** Whether the target begins with a slash the source lacks there ("/app?q" at "/app"; ""). */
    private boolean slashFirst(String source) {
      return (from > 0 || source.isEmpty())
          && (from == source.length() || source.charAt(from) != '/');
    }

    /** The target, made as a string only when asked: the encoder writes it from the source. */
    @Override
    public String uri() {
      String source = super.uri();
      String rest = from == 0 ? source : source.substring(from);
      return slashFirst(source) ? "/" + rest : rest;
    }

    @Override
    public void writeTarget(ByteBuf out) {
      String source = super.uri();
      if (slashFirst(source)) {
        out.writeByte('/');
      }
      ByteBufUtil.writeUtf8(out, source, from, source.length());
    }

    @Override
    public void appendFields(ByteBuf out) {
      field(out, XFF, forwardedFor);
      field(out, XF_PROTO, proto);
      field(out, XF_HOST, host);
      field(out, XF_PORT, port);
      field(out, XF_PREFIX, prefix);
      field(out, FORWARDED, forwarded);
      field(out, SCRIPT_NAME, scriptName);
    }

    private static void field(ByteBuf out, AsciiString name, CharSequence value) {
      if (value == null) {
        return;
      }
      ByteBufUtil.copy(name, out);
      out.writeShort(COLON_SPACE);
      // As Netty's encoder writes a value: bytes of an AsciiString as they are, a String's chars as
      // ASCII.
      if (value instanceof AsciiString ascii) {
        ByteBufUtil.copy(ascii, out);
      } else {
        out.writeCharSequence(value, StandardCharsets.US_ASCII);
      }
      out.writeShort(CRLF);
    }
  }

  /** The lines of field {@code name} joined by commas, or null when there are none. */
  private static String joined(HttpHeaders headers, AsciiString name) {
    List<String> lines = headers.getAll(name);
    return lines.isEmpty() ? null : String.join(", ", lines);
  }

  /** Removes the hop-by-hop fields of an app's response. */
  static void stripHopByHop(HttpHeaders headers) {
    strip(headers, FROM_APP);
  }

  /**
   * Removes the fields named in {@code names}, and those the Connection field lists, in one pass
   * over the fields present: a request carries a handful of them, and a lookup per name that might
   * be there (fifteen for a client's request) cost more than the pass.
   */
  private static void strip(HttpHeaders headers, AsciiString[] names) {
    List<CharSequence> doomed = null;
    boolean connection = false;
    for (Iterator<Map.Entry<CharSequence, CharSequence>> fields = headers.iteratorCharSequence();
        fields.hasNext(); ) {
      CharSequence name = fields.next().getKey();
      if (!isAmong(name, names)) {
        continue;
      }
      if (doomed == null) {
        doomed = new ArrayList<>(4);
      }
      doomed.add(name);
      connection |= AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.CONNECTION);
    }
    if (doomed == null) {
      return;
    }
    if (connection) {
      stripListed(headers);
    }
    for (CharSequence name : doomed) {
      headers.remove(name);
    }
  }

  private static boolean isAmong(CharSequence name, AsciiString[] names) {
    for (AsciiString candidate : names) {
      if (candidate.length() == name.length() && candidate.contentEqualsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }

  /** Fields the Connection header names are hop-by-hop too. */
  private static void stripListed(HttpHeaders headers) {
    for (String listed : headers.getAll(HttpHeaderNames.CONNECTION)) {
      for (String token : listed.split(",")) {
        String name = token.trim();
        if (!name.isEmpty() && !name.equalsIgnoreCase("transfer-encoding")) {
          headers.remove(name);
        }
      }
    }
  }

  /**
   * Whether a message's body length is certain: no Transfer-Encoding, or exactly "chunked". Netty's
   * decoder already refuses Content-Length with Transfer-Encoding and repeated lengths.
   */
  static boolean framingIsUnambiguous(HttpMessage message) {
    if (!message.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
      return true;
    }
    List<String> codings = message.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
    return codings.isEmpty()
        || (codings.size() == 1 && codings.get(0).trim().equalsIgnoreCase("chunked"));
  }

  /** RFC 7239: for=192.0.2.1;proto=http;host=example.com, IPv6 quoted and bracketed. */
  private static String forwardedElement(String ip, String host, boolean secure) {
    StringBuilder element = new StringBuilder();
    if (ip != null) {
      element.append("for=").append(ip.contains(":") ? "\"[" + ip + "]\"" : ip).append(';');
    }
    element.append(secure ? "proto=https" : "proto=http");
    if (host != null && !host.isEmpty()) {
      element
          .append(";host=\"")
          .append(host.replace("\\", "\\\\").replace("\"", "\\\""))
          .append('"');
    }
    return element.toString();
  }

  private static List<AsciiString> names(String... names) {
    return Arrays.stream(names).map(AsciiString::cached).toList();
  }

  @SafeVarargs
  private static AsciiString[] concat(List<AsciiString>... lists) {
    return Arrays.stream(lists).flatMap(List::stream).toArray(AsciiString[]::new);
  }

  private static String stripTrailingSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  /** The request target in origin form: an absolute-form "http://h/p?q" becomes "/p?q". */
  static String originForm(String uri) {
    if (uri.startsWith("/")) {
      return uri;
    }
    int scheme = uri.indexOf("://");
    if (scheme <= 0) {
      return uri;
    }
    int slash = uri.indexOf('/', scheme + 3);
    int query = uri.indexOf('?', scheme + 3);
    if (slash < 0 || (query >= 0 && query < slash)) {
      return query < 0 ? "/" : "/" + uri.substring(query);
    }
    return uri.substring(slash);
  }

  /** Whether the app's absolute redirects are put back under the mount point (see below). */
  static boolean rewritesLocation(Route route) {
    return route.stripPrefix() && !route.path().equals("/");
  }

  /**
   * With strip_prefix the app does not know its mount point, so its own absolute redirects
   * ("/login") are put back under it ("/app/login"), as nginx's proxy_redirect does: the prefix
   * stripped from the request, added back to the response.
   */
  static void rewriteLocation(Route route, HttpHeaders headers) {
    String location = headers.get(HttpHeaderNames.LOCATION);
    if (!rewritesLocation(route) || location == null) {
      return;
    }
    if (location.startsWith("/") && !location.startsWith("//")) {
      headers.set(HttpHeaderNames.LOCATION, route.path() + location);
    }
  }
}
