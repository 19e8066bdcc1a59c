package dev.berth.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads what {@link RouteAccess} holds: a route's allow, deny, basic_auth and rate_limit, its
 * redirect target, and each app's error_pages, with the files they name (read now, so that a
 * missing or weak users file is a problem of check, and a reload compares contents).
 */
final class AccessReader {

  /** An htpasswd file is a few lines per user: past this it is not one. */
  private static final int MAX_USERS_FILE_BYTES = 1 << 20;

  private final TableReader reader;

  AccessReader(TableReader reader) {
    this.reader = reader;
  }

  /** The access rules of a route table (its error pages come from its app, later). */
  RouteAccess route(Table route) {
    List<Cidr> allow = reader.get(route, RouteKeys.ALLOW);
    List<Cidr> deny = reader.get(route, RouteKeys.DENY);
    return new RouteAccess(basicAuth(route), allow, deny, rateLimit(route), Map.of());
  }

  /** The route's redirect target, or null after reporting a problem. */
  Route.RedirectTarget redirect(Table route) {
    String location = reader.get(route, RouteKeys.REDIRECT);
    int status = reader.get(route, RouteKeys.REDIRECT_CODE);
    return location == null ? null : new Route.RedirectTarget(location, status);
  }

  /** Each app's error pages by status, for the apps that set any; problems reported. */
  Map<String, Map<Integer, RouteAccess.ErrorPage>> errorPages(Table top) {
    Map<String, Map<Integer, RouteAccess.ErrorPage>> result = new LinkedHashMap<>();
    JsonNode apps = top.get(TopKeys.APPS.name());
    if (apps == null || !apps.isObject()) {
      return result;
    }
    for (Map.Entry<String, JsonNode> entry : apps.properties()) {
      if (!entry.getValue().isObject()) {
        continue; // reported by AppReader
      }
      Table app = new Table(KeyLines.join(TopKeys.APPS.name(), entry.getKey()), entry.getValue());
      Table pages = reader.table(app, AppKeys.ERROR_PAGES);
      if (pages == null) {
        continue;
      }
      reader.onlyKeys(pages, Section.ERROR_PAGES);
      Map<Integer, RouteAccess.ErrorPage> byStatus = new LinkedHashMap<>();
      for (Key<?> key : AppKeys.ERROR_PAGE_KEYS) {
        Path file = (Path) reader.get(pages, key, null);
        if (file == null) {
          continue;
        }
        byte[] body =
            read(
                pages.child(key.name()),
                pages.get(key.name()),
                file,
                RouteAccess.ErrorPage.MAX_BYTES,
                "an HTML file");
        if (body != null) {
          byStatus.put(Integer.parseInt(key.name()), new RouteAccess.ErrorPage(file, body));
        }
      }
      result.put(entry.getKey(), byStatus);
    }
    return result;
  }

  private RouteAccess.BasicAuth basicAuth(Table route) {
    Table t = reader.table(route, RouteKeys.BASIC_AUTH);
    if (t == null) {
      return null;
    }
    reader.onlyKeys(t, Section.BASIC_AUTH);
    Path file = reader.require(t, RouteKeys.USERS_FILE);
    String realm = reader.get(t, RouteKeys.REALM);
    if (file == null) {
      return null;
    }
    String path = t.child(RouteKeys.USERS_FILE.name());
    byte[] bytes =
        read(
            path,
            t.get(RouteKeys.USERS_FILE.name()),
            file,
            MAX_USERS_FILE_BYTES,
            "an htpasswd file");
    if (bytes == null) {
      return null;
    }
    UsersFile.Parsed parsed =
        UsersFile.parse(file.getFileName().toString(), new String(bytes, StandardCharsets.UTF_8));
    parsed.problems().forEach(problem -> reader.report(path, problem));
    return parsed.problems().isEmpty()
        ? new RouteAccess.BasicAuth(file, realm, parsed.users())
        : null;
  }

  private RouteAccess.RateLimit rateLimit(Table route) {
    Table t = reader.table(route, RouteKeys.RATE_LIMIT);
    if (t == null) {
      return null;
    }
    reader.onlyKeys(t, Section.RATE_LIMIT);
    Integer requests = reader.require(t, RouteKeys.REQUESTS);
    Integer burst = reader.get(t, RouteKeys.BURST);
    java.time.Duration per = reader.get(t, RouteKeys.PER);
    if (requests == null) {
      return null;
    }
    return new RouteAccess.RateLimit(requests, per, burst == null ? requests : burst);
  }

  /** The file's bytes, or null after reporting why they could not be read. */
  private byte[] read(String path, JsonNode value, Path file, int max, String expected) {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] bytes = in.readNBytes(max + 1);
      if (bytes.length > max) {
        reader.reject(
            path, value, expected + " of at most " + (max >> 10) + " KiB; " + file + " is larger");
        return null;
      }
      return bytes;
    } catch (IOException e) {
      reader.reject(path, value, expected + "; " + file + ": " + ConfigLoader.reason(e));
      return null;
    }
  }
}
