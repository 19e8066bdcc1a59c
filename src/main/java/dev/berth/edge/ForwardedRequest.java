package dev.berth.edge;

import dev.berth.config.Cidr;
import dev.berth.config.EdgeSettings;
import dev.berth.config.Route;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The request head as berth forwards it to an app: origin-form target (prefix kept with
 * SCRIPT_NAME, or stripped), hop-by-hop fields removed, and the X-Forwarded-* fields that tell
 * the app who asked and how. Those are kept from the client only when it is a trusted proxy.
 */
final class ForwardedRequest {

  /** Hop-by-hop fields (RFC 9110 7.6.1); Transfer-Encoding is kept: it frames the body we stream. */
  private static final List<String> HOP_BY_HOP =
      List.of("connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "expect");

  // Names and berth's own values as AsciiString: Netty's encoder copies those in one go and
  // writes a String char by char (that loop was 5% of a proxied request's CPU time).
  private static final AsciiString XFF = AsciiString.cached("x-forwarded-for");
  private static final AsciiString XF_PROTO = AsciiString.cached("x-forwarded-proto");
  private static final AsciiString XF_HOST = AsciiString.cached("x-forwarded-host");
  private static final AsciiString XF_PORT = AsciiString.cached("x-forwarded-port");
  private static final AsciiString XF_PREFIX = AsciiString.cached("x-forwarded-prefix");
  private static final AsciiString FORWARDED = AsciiString.cached("forwarded");
  private static final AsciiString HTTP = AsciiString.cached("http");
  /** What an untrusted client may not tell the app about itself. */
  private static final List<AsciiString> CLIENT_CLAIMS = List.of(XFF, XF_PROTO, XF_HOST, XF_PORT, XF_PREFIX, FORWARDED);
  /** Route prefixes as header values, by path; as many as routes were ever configured. */
  private static final Map<String, AsciiString> PREFIXES = new ConcurrentHashMap<>();

  private ForwardedRequest() {}

  /**
   * Rewrites {@code request}'s header map in place (the client's request is not forwarded
   * elsewhere, and copying the map was a third of what a proxied request allocated) and returns
   * the head to send upstream, which shares that map.
   */
  static HttpRequest of(HttpRequest request, Route route, ClientAddress client, EdgeSettings settings) {
    HttpHeaders headers = request.headers();
    stripHopByHop(headers);
    // Only berth decides the mount point; a client (even a trusted proxy) never sets it.
    headers.remove("script_name");
    headers.remove("script-name");

    InetAddress peer = client.peer();
    boolean trusted = peer != null && isTrusted(peer, settings.trustedProxies());
    AsciiString peerIp = client.ip();
    String host = headers.get(HttpHeaderNames.HOST);
    String prefix = route.path().equals("/") ? "" : route.path();

    if (!trusted) {
      for (AsciiString name : CLIENT_CLAIMS) {
        headers.remove(name);
      }
    }
    // A trusted proxy's chain is extended with its own address, as nginx's $proxy_add_x_forwarded_for.
    String chain = trusted ? String.join(", ", headers.getAll(XFF)) : "";
    if (peerIp != null) {
      headers.set(XFF, chain.isEmpty() ? peerIp : chain + ", " + peerIp);
    }
    setIfAbsent(headers, XF_PROTO, HTTP);
    setIfAbsent(headers, XF_HOST, host);
    setIfAbsent(headers, XF_PORT, client.localPort());
    if (!prefix.isEmpty()) {
      String outer = headers.get(XF_PREFIX);
      headers.set(
          XF_PREFIX,
          outer == null ? PREFIXES.computeIfAbsent(prefix, AsciiString::cached) : stripTrailingSlash(outer) + prefix);
    }
    if (settings.forwardedHeader()) {
      String ours = forwardedElement(peerIp == null ? null : client.text(), host);
      String earlier = trusted ? String.join(", ", headers.getAll(FORWARDED)) : "";
      headers.set(FORWARDED, earlier.isEmpty() ? ours : earlier + ", " + ours);
    }

    String target = originForm(request.uri());
    if (!prefix.isEmpty()) {
      if (route.stripPrefix()) {
        target = target.substring(prefix.length());
        target = target.isEmpty() || target.charAt(0) != '/' ? "/" + target : target;
      } else {
        // WSGI servers (gunicorn, uWSGI) take the mount point as SCRIPT_NAME and cut it from the
        // path they hand the app, so url_for() builds links under the prefix.
        headers.set("SCRIPT_NAME", prefix);
      }
    }
    return new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.method(), target, headers);
  }

  static void stripHopByHop(HttpHeaders headers) {
    if (headers.contains(HttpHeaderNames.CONNECTION)) {
      stripListed(headers);
    }
    for (String name : HOP_BY_HOP) {
      headers.remove(name);
    }
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
   * Whether a message's body length is certain: no Transfer-Encoding, or exactly "chunked".
   * Netty's decoder already refuses Content-Length with Transfer-Encoding and repeated lengths.
   */
  static boolean framingIsUnambiguous(HttpMessage message) {
    if (!message.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
      return true;
    }
    List<String> codings = message.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
    return codings.isEmpty() || (codings.size() == 1 && codings.get(0).trim().equalsIgnoreCase("chunked"));
  }

  private static boolean isTrusted(InetAddress peer, List<Cidr> trustedProxies) {
    for (Cidr cidr : trustedProxies) {
      if (cidr.contains(peer)) {
        return true;
      }
    }
    return false;
  }

  /** RFC 7239: for=192.0.2.1;proto=http;host=example.com, IPv6 quoted and bracketed. */
  private static String forwardedElement(String ip, String host) {
    StringBuilder element = new StringBuilder();
    if (ip != null) {
      element.append("for=").append(ip.contains(":") ? "\"[" + ip + "]\"" : ip).append(';');
    }
    element.append("proto=http");
    if (host != null && !host.isEmpty()) {
      element.append(";host=\"").append(host.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    }
    return element.toString();
  }

  private static void setIfAbsent(HttpHeaders headers, AsciiString name, CharSequence value) {
    if (value != null && !headers.contains(name)) {
      headers.set(name, value);
    }
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
}
