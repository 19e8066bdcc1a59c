package dev.berth.config;

import static dev.berth.config.Types.quote;
import static dev.berth.config.Types.show;
import static dev.berth.config.Types.string;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** Value types for network addresses, host names and URL paths. */
final class Addresses {

  static final String ADDRESS_EXPECTED =
      "\"host:port\" like \"127.0.0.1:8080\", \":8080\" (all interfaces) or \"[::1]:8080\","
          + " with a port from 1 to 65535";
  static final String LISTENER_EXPECTED =
      ADDRESS_EXPECTED + ", or \"unix:\" and an absolute path like \"unix:/srv/alice/berth.sock\"";

  /**
   * The longest path a unix socket can be bound at (sun_path, less its NUL). berth binds a
   * listener's socket first at {@code DIR/.bXXXXXXXX/s} (see edge.SocketFile): its directory may be
   * {@link #UNIX_TEMP_EXTRA} bytes shorter only.
   */
  static final int UNIX_PATH_MAX = 107;

  static final int UNIX_TEMP_EXTRA = "/.b01234567/s".length();
  static final String HOST_EXPECTED =
      "a host name like \"example.com\", a wildcard like \"*.example.com\" or \"*\" for any host,"
          + " without scheme or port";
  static final String PATH_EXPECTED =
      "a path starting with \"/\", without \"?\", \"#\", \"//\", spaces, \".\" or \"..\" segments";

  private static final Pattern DNS_NAME =
      Pattern.compile("(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\\.(?!-)[a-z0-9-]{1,63}(?<!-))*");
  private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

  /**
   * "127.0.0.1:8080", "localhost:8080", ":8080" or "*:8080" (all interfaces), "[::1]:8080"; or
   * "unix:/absolute/path" (with the default mode and group: socket_mode and socket_group are keys
   * of their own).
   */
  static final ValueType<Listener> ADDRESS =
      ValueType.of("string", LISTENER_EXPECTED, Addresses::listener);

  /** Lower case; "" for any host, "*.example.com" for a wildcard, "[::1]" for IPv6. */
  static final ValueType<String> ROUTE_HOST =
      ValueType.of("string", HOST_EXPECTED, Addresses::routeHost);

  /** A path prefix; a trailing "/" is dropped because prefixes match on segment boundaries. */
  static final ValueType<String> ROUTE_PATH =
      ValueType.of("string", PATH_EXPECTED, Addresses::routePath);

  static final ValueType<List<Cidr>> CIDRS =
      ValueType.of(
          "array of strings",
          "a list of addresses or CIDR blocks like [\"10.0.0.0/8\", \"127.0.0.1\"]",
          Addresses::cidrs);

  static final ValueType<TrustedProxies> TRUSTED_PROXIES =
      ValueType.of(
          "array of strings",
          "a list of addresses or CIDR blocks, and \"unix:\" for unix-socket peers, like"
              + " [\"127.0.0.1\", \"10.0.0.0/8\", \"unix:\"]",
          Addresses::trustedProxies);

  /** A unix socket's permission bits, in octal as chmod takes them. */
  static final String MODE_EXPECTED =
      "an octal mode from \"0000\" to \"0777\" like \"0660\", as a string";

  static final ValueType<Integer> SOCKET_MODE =
      ValueType.of(
          "string",
          MODE_EXPECTED,
          v -> {
            String text = string(v, MODE_EXPECTED);
            if (!text.matches("0?[0-7]{3}")) {
              throw new Rejected(MODE_EXPECTED);
            }
            return Integer.parseInt(text, 8);
          });

  /** The trusted_proxies entry for every unix-socket peer. */
  private static final String UNIX_PEERS = TrustedProxies.UNIX_ENTRY;

  /** "host:port", "[v6]:port" or "unix:/absolute/path.sock"; at least one. */
  static final ValueType<List<UpstreamAddress>> UPSTREAMS =
      ValueType.of(
          "array of strings",
          "a list of addresses like [\"127.0.0.1:9000\", \"unix:/run/app.sock\"]",
          Addresses::upstreams);

  private Addresses() {}

  private static List<Cidr> cidrs(JsonNode value) throws Rejected {
    String expected = CIDRS.expected();
    if (!value.isArray()) {
      throw new Rejected(expected);
    }
    List<Cidr> cidrs = new ArrayList<>();
    for (JsonNode element : value) {
      try {
        cidrs.add(Cidr.parse(string(element, expected)));
      } catch (IllegalArgumentException e) {
        throw new Rejected(expected + "; " + show(element) + ": " + e.getMessage());
      }
    }
    return cidrs;
  }

  private static TrustedProxies trustedProxies(JsonNode value) throws Rejected {
    String expected = TRUSTED_PROXIES.expected();
    if (!value.isArray()) {
      throw new Rejected(expected);
    }
    List<Cidr> cidrs = new ArrayList<>();
    boolean unix = false;
    for (JsonNode element : value) {
      String text = string(element, expected);
      if (text.equals(UNIX_PEERS)) {
        unix = true;
        continue;
      }
      if (text.startsWith(UNIX_PEERS)) {
        throw new Rejected(
            expected
                + "; "
                + show(element)
                + ": \"unix:\" alone stands for every unix-socket peer");
      }
      try {
        cidrs.add(Cidr.parse(text));
      } catch (IllegalArgumentException e) {
        throw new Rejected(expected + "; " + show(element) + ": " + e.getMessage());
      }
    }
    return new TrustedProxies(cidrs, unix);
  }

  private static Listener listener(JsonNode value) throws Rejected {
    String text = string(value, LISTENER_EXPECTED);
    if (!text.startsWith("unix:")) {
      try {
        return address(value);
      } catch (Rejected r) {
        throw new Rejected(LISTENER_EXPECTED);
      }
    }
    Path socket;
    try {
      socket = Path.of(text.substring("unix:".length()));
    } catch (InvalidPathException e) {
      throw new Rejected(LISTENER_EXPECTED);
    }
    if (!socket.isAbsolute()) {
      throw new Rejected(LISTENER_EXPECTED + "; " + quote(text) + " is not an absolute path");
    }
    socket = socket.normalize();
    if (socket.getParent() == null || text.endsWith("/")) {
      throw new Rejected(LISTENER_EXPECTED + "; " + quote(text) + " names no file");
    }
    int length = socket.toString().getBytes(StandardCharsets.UTF_8).length;
    int dirLength = socket.getParent().toString().getBytes(StandardCharsets.UTF_8).length;
    if (length > UNIX_PATH_MAX || dirLength + UNIX_TEMP_EXTRA > UNIX_PATH_MAX) {
      throw new Rejected(
          LISTENER_EXPECTED
              + "; "
              + quote(text)
              + " is too long for a unix socket (at most "
              + UNIX_PATH_MAX
              + " bytes, and its directory "
              + (UNIX_PATH_MAX - UNIX_TEMP_EXTRA)
              + ")");
    }
    return Listener.unix(new UnixSocket(socket));
  }

  private static List<UpstreamAddress> upstreams(JsonNode value) throws Rejected {
    String expected = UPSTREAMS.expected();
    if (!value.isArray() || value.isEmpty()) {
      throw new Rejected(expected);
    }
    List<UpstreamAddress> addresses = new ArrayList<>();
    for (JsonNode element : value) {
      String text = string(element, expected);
      if (text.startsWith("unix:")) {
        Path socket;
        try {
          socket = Path.of(text.substring("unix:".length()));
        } catch (InvalidPathException e) {
          throw new Rejected(expected);
        }
        if (!socket.isAbsolute()) {
          throw new Rejected(expected + "; " + quote(text) + " is not an absolute path");
        }
        addresses.add(new UpstreamAddress.Unix(socket.normalize()));
        continue;
      }
      Listener hostPort;
      try {
        hostPort = address(element);
      } catch (Rejected r) {
        throw new Rejected(expected);
      }
      if (hostPort.host().isEmpty()) {
        throw new Rejected(expected + "; " + quote(text) + " has no host");
      }
      addresses.add(new UpstreamAddress.Tcp(hostPort.host(), hostPort.port()));
    }
    return addresses;
  }

  private static Listener address(JsonNode value) throws Rejected {
    String address = string(value, ADDRESS_EXPECTED);
    String host;
    String port;
    if (address.startsWith("[")) {
      int close = address.indexOf("]:");
      if (close < 0) {
        throw new Rejected(ADDRESS_EXPECTED);
      }
      host = address.substring(1, close);
      port = address.substring(close + 2);
      if (!isIpv6(host)) {
        throw new Rejected(ADDRESS_EXPECTED);
      }
    } else {
      int colon = address.lastIndexOf(':');
      if (colon < 0) {
        throw new Rejected(ADDRESS_EXPECTED);
      }
      host = address.substring(0, colon).toLowerCase(Locale.ROOT);
      port = address.substring(colon + 1);
      if (host.equals("*")) {
        host = "";
      }
      if (!host.isEmpty() && !isHostName(host)) {
        throw new Rejected(ADDRESS_EXPECTED);
      }
    }
    if (!PORT.matcher(port).matches()) {
      throw new Rejected(ADDRESS_EXPECTED);
    }
    int p = Integer.parseInt(port);
    if (p < 1 || p > 65535) {
      throw new Rejected(ADDRESS_EXPECTED);
    }
    return new Listener(host, p);
  }

  /** A DNS name, or an IPv4 literal when it is all digits and dots. */
  private static boolean isHostName(String host) {
    if (!DNS_NAME.matcher(host).matches()) {
      return false;
    }
    if (!host.matches("[0-9.]+")) {
      return true;
    }
    String[] parts = host.split("\\.");
    return parts.length == 4
        && Arrays.stream(parts).allMatch(p -> p.length() <= 3 && Integer.parseInt(p) <= 255);
  }

  /** Whether {@code host} (without brackets) is an IPv6 literal; never looks up a name. */
  private static boolean isIpv6(String host) {
    if (!host.contains(":") || !host.matches("[0-9A-Fa-f:.]+")) {
      return false;
    }
    try {
      // With brackets, InetAddress only parses an IPv6 literal and never queries DNS.
      InetAddress.getByName("[" + host + "]");
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static String routeHost(JsonNode value) throws Rejected {
    String host = string(value, HOST_EXPECTED).toLowerCase(Locale.ROOT);
    if (host.equals("*")) {
      return "";
    }
    boolean bracketed = host.startsWith("[") && host.endsWith("]");
    if (bracketed && isIpv6(host.substring(1, host.length() - 1))) {
      return host;
    }
    String name = host.startsWith("*.") ? host.substring(2) : host;
    if (!isHostName(name)) {
      throw new Rejected(HOST_EXPECTED);
    }
    return host;
  }

  private static String routePath(JsonNode value) throws Rejected {
    String path = string(value, PATH_EXPECTED);
    if (!path.startsWith("/")
        || path.contains("//")
        || path.chars().anyMatch(c -> c == '?' || c == '#' || c <= ' ' || c == 0x7f)) {
      throw new Rejected(PATH_EXPECTED);
    }
    for (String segment : path.split("/")) {
      if (segment.equals(".") || segment.equals("..")) {
        throw new Rejected(PATH_EXPECTED);
      }
    }
    return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }
}
