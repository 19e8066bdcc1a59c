package dev.berth.config;

import java.util.List;

/**
 * A table of berth.toml and the keys it allows, in the order messages and the reference list them.
 */
enum Section {
  TOP(
      "Top level",
      "",
      """
      Keys outside any table. Relative paths are relative to the config file's directory.
      """,
      TopKeys.TOP),
  EDGE(
      "[edge]",
      "[edge]",
      """
      Settings of the edge, berth's HTTP server: decided before a request is routed, so global.
      The last three are defaults that each route may override. Optional; every key has a default.
      """,
      EdgeKeys.ALL),
  ACCESS_LOG(
      "[access_log]",
      "[access_log]",
      """
      Each request is logged when it completes, by default to <state_dir>/log/access.log in
      nginx's combined format. A route's access_log = { ... } overrides any of these keys for
      that route.
      """,
      TopKeys.ACCESS_LOG_KEYS),
  LISTENERS(
      "[[listeners]]",
      "[[listeners]]",
      """
      The addresses berth accepts client connections on, one [[listeners]] table each; at least
      one.
      """,
      TopKeys.LISTENER_KEYS),
  LISTENER_CERTIFICATE(
      "[[listeners]] tls = { ... }",
      "tls = { certificate = \"...\", key = \"...\" }",
      """
      A TLS listener's certificate from files, as an inline table, or several as an array of
      them (tls = [{ ... }, { ... }]): each handshake gets the certificate whose names cover the
      name the client asks for (SNI), else the first one. berth check reads them: a file that is
      not PEM, a key that is not the certificate's, or a certificate that expired is an error.
      """,
      TlsKeys.CERTIFICATE_KEYS),
  TLS(
      "[tls]",
      "[tls]",
      """
      What every TLS listener shares, and the ACME account's settings. Optional; every key has a
      default. See docs/tls.md.
      """,
      TlsKeys.ALL),
  APP(
      "[apps.NAME]",
      "[apps.NAME]",
      """
      One table per app. NAME is 1 to 40 lower-case letters, digits, "_" or "-", starting with a
      letter or digit, and not berth or access. An app is a web process run as instances, plus
      any other process types; or, with upstreams, addresses of an app that berth does not run.
      """,
      AppKeys.ALL),
  HEALTH_CHECK(
      "[apps.NAME.health_check]",
      "health_check = { ... }",
      """
      Active health checks of an app's instances, as an inline table
      (health_check = { path = "/health" }) or a [apps.NAME.health_check] table.
      """,
      AppKeys.HEALTH_CHECK_KEYS),
  PROCESS_TYPE(
      "[apps.NAME.processes.TYPE]",
      "processes = { ... }",
      """
      Process types besides web, as processes = { worker = "python worker.py" } (one instance),
      or a table per type with the keys below. TYPE is lower-case letters, digits, "_" or "-",
      and neither web nor release. A type of the procfile may be listed with instances only.
      """,
      ProcessKeys.KEYS),
  ERROR_PAGES(
      "[apps.NAME.error_pages]",
      "error_pages = { ... }",
      """
      An app's pages for the errors berth answers itself, by status: 502, 503 or 504.
      """,
      AppKeys.ERROR_PAGE_KEYS),
  ROUTES(
      "[[routes]]",
      "[[routes]]",
      """
      Which requests go where, one [[routes]] table each: to an app (app = "NAME") or to files
      (static = "DIR"), exactly one of the two. A request is routed by its host first (an exact
      name, then the longest wildcard, then "*"), then by the longest path prefix among that
      host's routes. Each host and path may appear once.
      """,
      RouteKeys.ALL),
  BASIC_AUTH(
      "routes[].basic_auth",
      "basic_auth = { ... }",
      """
      A route's users and passwords, as basic_auth = { users_file = "staging.htpasswd" }.
      """,
      RouteKeys.BASIC_AUTH_KEYS),
  RATE_LIMIT(
      "routes[].rate_limit",
      "rate_limit = { ... }",
      """
      A route's limit per client address, as rate_limit = { requests = 10, per = "1s",
      burst = 20 }.
      """,
      RouteKeys.RATE_LIMIT_KEYS);

  private final String title;
  private final String written;
  private final String intro;
  private final List<Key<?>> keys;

  Section(String title, String written, String intro, List<Key<?>> keys) {
    this.title = title;
    this.written = written;
    this.intro = intro.strip().replaceAll("\\s*\\n\\s*", " ");
    this.keys = keys;
  }

  /** The heading in the reference. */
  String title() {
    return title;
  }

  /** How the table is written in berth.toml, or "" for the top level. */
  String written() {
    return written;
  }

  /** One paragraph for the reference. */
  String intro() {
    return intro;
  }

  List<Key<?>> keys() {
    return keys;
  }

  /** The key names allowed here, in order. */
  List<String> names() {
    return keys.stream().map(Key::name).toList();
  }
}
