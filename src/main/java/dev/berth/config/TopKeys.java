package dev.berth.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.time.Duration;
import java.util.List;

/** The keys at the top of berth.toml, of {@code [access_log]} and of {@code [[listeners]]}. */
final class TopKeys {

  static final Key<Path> STATE_DIR =
      Key.of(
          "state_dir",
          Types.DIRECTORY_PATH,
          null,
          "(.berth beside the config file; for root, /var/lib/berth/NAME-HASH)",
          "\"/srv/berth-state\"",
          """
          Where berth keeps what it makes while running: the releases its apps run from (apps/),
          sockets of app instances (run/), logs (log/), each app's persistent data directory
          (data/APP, in $BERTH_DATA_DIR, kept across deploys) and the control socket. Created
          when missing. A root berth runs its apps as other users, who must pass through every
          directory above it: so its default is /var/lib/berth/NAME-HASH (one per config, NAME
          from the config's directory; $STATE_DIRECTORY instead of /var/lib/berth when systemd
          sets it), not a .berth beside a config that may be in /root; a .berth an earlier berth
          kept releases, data or env values in is used still. Unix socket paths must fit in 107
          bytes, so a deep state_dir is refused with the path it would make.
          """);

  static final Key<Duration> SHUTDOWN_TIMEOUT =
      Key.of(
          "shutdown_timeout",
          Types.DURATION_TYPE,
          Duration.ofSeconds(10),
          "\"10s\"",
          "\"30s\"",
          """
          On SIGTERM or SIGINT, how long requests in flight may take to finish before berth
          closes their connections and stops the apps.
          """);

  static final Key<JsonNode> EDGE =
      Key.table(
          "edge",
          Types.table("an [edge] table"),
          "Connection limits, timeouts, forwarded headers and the defaults of the per-route limits.");

  static final Key<JsonNode> ACCESS_LOG =
      Key.table(
          "access_log",
          Types.table("a table like { path = \"access.log\" }"),
          "Where and how requests are logged, for every route that does not set its own.");

  static final Key<JsonNode> LISTENERS =
      Key.table(
          "listeners",
          Types.tables("at least one [[listeners]] table with an address like \":8080\"", 1),
          "The addresses berth accepts client connections on, one [[listeners]] table each; at least one.");

  static final Key<JsonNode> APPS =
      Key.table(
          "apps",
          Types.table("[apps.NAME] tables"),
          "The apps berth runs or proxies to, one [apps.NAME] table each.");

  static final Key<JsonNode> ROUTES =
      Key.table(
          "routes",
          Types.tables("[[routes]] tables", 0),
          "Which requests go to which app or directory, one [[routes]] table each, in any order.");

  static final Key<JsonNode> TLS =
      Key.table(
          "tls",
          Types.table("a [tls] table"),
          "The ACME account, HSTS and what a handshake for an unknown name gets.");

  static final List<Key<?>> TOP =
      List.of(STATE_DIR, SHUTDOWN_TIMEOUT, EDGE, ACCESS_LOG, LISTENERS, TLS, APPS, ROUTES);

  // ---- [access_log], and a route's access_log = { ... } ----

  static final Key<Boolean> LOG_ENABLED =
      Key.of(
          "enabled",
          Types.BOOLEAN,
          true,
          "true",
          "false",
          "false logs nothing (for every route, or for this route).");

  static final Key<Path> LOG_PATH =
      Key.of(
          "path",
          Types.FILE_PATH,
          null,
          "(<state_dir>/log/access.log)",
          "\"/var/log/berth/access.log\"",
          """
          The log file, relative to the config file's directory. berth creates it (mode 0640) and
          its directories, appends to it, and reopens it on SIGUSR1 or when it was rotated away.
          """);

  static final Key<AccessLogSpec.Format> LOG_FORMAT =
      Key.of(
          "format",
          Types.choice(AccessLogSpec.Format.class),
          AccessLogSpec.Format.COMBINED,
          "\"combined\"",
          "\"json\"",
          """
          "combined" is nginx's combined format followed by the instance that answered, its
          response time and the request's time in seconds; "json" is one JSON object per line.
          """);

  static final List<Key<?>> ACCESS_LOG_KEYS = List.of(LOG_ENABLED, LOG_PATH, LOG_FORMAT);

  // ---- [[listeners]] ----

  static final Key<Listener> ADDRESS =
      Key.of(
          "address",
          Addresses.ADDRESS,
          null,
          "(required)",
          "\"127.0.0.1:8080\"",
          """
          The address and port to accept connections on: "127.0.0.1:8080", "localhost:8080",
          ":8080" or "*:8080" for all interfaces, "[::1]:8080" for IPv6. Two listeners may not
          share a host and port. Or a unix socket, "unix:" and an absolute path
          ("unix:/srv/alice/berth.sock"): only who may open the file can connect (socket_mode,
          socket_group), and no other user can take it over while berth is down, as a free TCP
          port can be taken. berth makes the file with its mode and group before it is reachable,
          replaces a stale one (that nothing accepts on), refuses a live one ("in use") and a file
          that is not a socket, and removes it when it stops or a reload removes the listener.
          """);

  static final Key<Boolean> HTTP2_CLEARTEXT =
      Key.of(
          "http2_cleartext",
          Types.BOOLEAN,
          false,
          "false",
          "true",
          """
          Whether this plain listener also takes HTTP/2 without TLS (h2c), from clients that start
          with its connection preface ("prior knowledge": curl --http2-prior-knowledge, h2load, a
          proxy or load balancer in front); others get HTTP/1.1 as before. No h2c Upgrade. A TLS
          listener offers HTTP/2 by ALPN without it.
          """);

  static final Key<Integer> SOCKET_MODE =
      Key.of(
          "socket_mode",
          Addresses.SOCKET_MODE,
          UnixSocket.DEFAULT_MODE,
          "\"0660\"",
          "\"0600\"",
          """
          A unix-socket listener's permission bits, in octal: connecting takes write permission.
          The default lets the owner and the file's group connect (the front server's group, by
          socket_group or a setgid directory). Only with address = "unix:...".
          """);

  static final Key<String> SOCKET_GROUP =
      Key.of(
          "socket_group",
          ValueType.of(
              "string", "a group name or gid known to this host (getent group)", TopKeys::group),
          null,
          "(the group the file gets)",
          "\"www-data\"",
          """
          The group a unix-socket listener's file is given, as the front server's (Debian's
          Apache and nginx run as www-data). berth must be root or a member of it; otherwise
          leave it out and let the administrator make the socket's directory, the user's and
          setgid to that group (install -d -o alice -g www-data -m 2750 /srv/alice): a file made
          in it gets the directory's group.
          Only with address = "unix:...".
          """);

  static final List<Key<?>> LISTENER_KEYS =
      List.of(ADDRESS, TlsKeys.LISTENER_TLS, HTTP2_CLEARTEXT, SOCKET_MODE, SOCKET_GROUP);

  /** A group the host knows (also through NSS: LDAP groups of a lab), checked at load. */
  private static String group(JsonNode value) throws Rejected {
    String expected = "a group name or gid known to this host (getent group)";
    String name = Types.nonBlank(value, expected);
    try {
      return FileSystems.getDefault()
          .getUserPrincipalLookupService()
          .lookupPrincipalByGroupName(name)
          .getName();
    } catch (UserPrincipalNotFoundException e) {
      throw new Rejected(expected + "; no such group");
    } catch (IOException e) {
      throw new Rejected(expected + "; " + e.getMessage());
    }
  }

  private TopKeys() {}
}
