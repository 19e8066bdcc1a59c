package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * What berth's own requests to an app's instance look like (readiness at start, the periodic health
 * checks), and which answers they take: a GET as a request routed to the app's first route would
 * reach it. An app that checks its Host (Django's ALLOWED_HOSTS) refuses {@code localhost}; one
 * that learns its mount point from a worker's first request (Django caches the script prefix in
 * STATIC_URL) keeps a wrong one if that request came without the prefix.
 *
 * <p>So: the Host of {@code health_check.host}, else of the mount, else {@code localhost}; the
 * forwarding fields the edge writes ({@code edge.ForwardedRequest}: X-Forwarded-For, -Proto, -Host,
 * -Prefix, and SCRIPT_NAME when the prefix is not stripped); and the target under the prefix unless
 * the route strips it. X-Forwarded-Port and Forwarded are left out: there is no listener or client
 * to name. The requester is berth on this host, hence {@code X-Forwarded-For: 127.0.0.1}.
 *
 * @param target the request target ("/blog/health")
 * @param fields the header fields, in order, Host first
 * @param healthCheck whether the target is a configured health check (which must answer 2xx or
 *     3xx), or {@code /} of an app without one (which must answer below 500)
 */
public record ProbeRequest(String target, List<Field> fields, boolean healthCheck) {

  /** The Host when neither the health check nor any route names one. */
  public static final String DEFAULT_HOST = "localhost";

  public ProbeRequest {
    requireNonNull(target, "target");
    fields = List.copyOf(fields);
  }

  /** One header field. */
  public record Field(String name, String value) {
    public Field {
      requireNonNull(name, "name");
      requireNonNull(value, "value");
    }
  }

  /** The request berth's probes send to {@code app}'s instances. */
  public static ProbeRequest of(App app) {
    requireNonNull(app, "app");
    return of(app.backend().healthCheck(), app.backend().mount());
  }

  /** The request for this health check (null: none) of an app mounted there. */
  public static ProbeRequest of(App.HealthCheck check, App.Mount mount) {
    requireNonNull(mount, "mount");
    String host =
        check != null && check.host() != null
            ? check.host()
            : mount.host() != null ? mount.host() : DEFAULT_HOST;
    String path = check == null ? "/" : check.path();
    String prefix = mount.prefix();
    List<Field> fields = new ArrayList<>();
    fields.add(new Field("Host", host));
    fields.add(new Field("X-Forwarded-For", "127.0.0.1"));
    fields.add(new Field("X-Forwarded-Proto", "http"));
    fields.add(new Field("X-Forwarded-Host", host));
    if (!prefix.isEmpty()) {
      fields.add(new Field("X-Forwarded-Prefix", prefix));
      if (!mount.stripPrefix()) {
        // As the edge: gunicorn takes it as the WSGI SCRIPT_NAME and cuts it from the path.
        fields.add(new Field("SCRIPT_NAME", prefix));
      }
    }
    String target = prefix.isEmpty() || mount.stripPrefix() ? path : prefix + path;
    return new ProbeRequest(target, fields, check != null);
  }

  /**
   * Whether an answer with this status counts: a health check's must be 2xx or 3xx; without one,
   * anything below 500 (a 404 or a redirect to a login page is an app at work; a 500 on every page
   * is one that cannot serve, a missing table or a broken import).
   */
  public boolean accepts(int status) {
    return status >= 200 && status < (healthCheck ? 400 : 500);
  }

  /** "GET /blog/" with "(its health check)" for a configured one: for messages. */
  public String describe() {
    return "GET " + target + (healthCheck ? " (its health check)" : "");
  }

  /** The whole request head as sent on a connection of its own, with this User-Agent. */
  public String head(String userAgent) {
    StringBuilder head = new StringBuilder("GET ").append(target).append(" HTTP/1.1\r\n");
    for (Field field : fields) {
      head.append(field.name()).append(": ").append(field.value()).append("\r\n");
    }
    return head.append("User-Agent: ")
        .append(userAgent)
        .append("\r\nConnection: close\r\n\r\n")
        .toString();
  }
}
