package dev.berth.daemon;

import dev.berth.config.App;
import dev.berth.config.Config;
import dev.berth.config.Route;
import dev.berth.deploy.Deployer;
import dev.berth.deploy.FolderChanges;
import dev.berth.deploy.Releases;
import dev.berth.edge.Maintenance;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What {@code status} says besides the instances: who serves what (each route, with its host and
 * path prefix, and where it goes), and per app the release it runs and the edits in its folder that
 * are not deployed (docs/control-protocol.md).
 */
final class StatusRows {

  private StatusRows() {}

  /** The routes, in the config's order: host ("" for any), path, and one of the target fields. */
  static List<Map<String, Object>> routes(List<Route> routes) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Route route : routes) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("host", route.host());
      row.put("path", route.path());
      switch (route.target()) {
        case Route.AppTarget app -> row.put("app", app.app());
        case Route.StaticTarget files -> row.put("static", files.root().toString());
        case Route.ReleaseFilesTarget files -> {
          row.put("app", files.app());
          row.put("release_files", files.dir().toString());
        }
        case Route.RedirectTarget redirect -> {
          row.put("redirect", redirect.location());
          row.put("status", redirect.status());
        }
      }
      rows.add(row);
    }
    return rows;
  }

  /**
   * Each app of the config: the release it runs (null for one berth only proxies to, or that has
   * none yet), what its folder has that the release does not (null when nothing), and whether it is
   * in maintenance (with the Retry-After it sends).
   */
  static List<Map<String, Object>> apps(Config config, Deployer deployer, Maintenance maintenance) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (App app : config.apps().values()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("app", app.name());
      OptionalInt release = app.external() ? OptionalInt.empty() : current(deployer, app.name());
      row.put("release", release.isPresent() ? release.getAsInt() : null);
      row.put(
          "undeployed",
          app.external()
              ? null
              : deployer.folderChanges(app.name()).map(FolderChanges::fields).orElse(null));
      Optional<Maintenance.Notice> notice = maintenance.of(app.name());
      row.put("maintenance", notice.isPresent());
      notice.ifPresent(n -> row.put("retry_after", n.retryAfterSeconds()));
      rows.add(row);
    }
    return rows;
  }

  /**
   * The release an instance runs, from the directory it runs from: the current release when that is
   * the one (a config release made by {@code berth env set} runs its code release's directory,
   * through a symlink, so the instances a rolling restart started for it show its number), else the
   * number of the directory ({@link Releases#number}): an old generation during a deploy, or what a
   * failed one left running. Null for an instance that runs from no release.
   */
  static Integer instanceRelease(Releases releases, Path dir) {
    try {
      OptionalInt release = releases.runFrom(dir);
      return release.isPresent() ? release.getAsInt() : null;
    } catch (UncheckedIOException e) {
      // Status is always answered: the directory's own number is the one known.
      OptionalInt own = Releases.number(dir);
      return own.isPresent() ? own.getAsInt() : null;
    }
  }

  private static OptionalInt current(Deployer deployer, String app) {
    try {
      return deployer.releases(app).current();
    } catch (UncheckedIOException e) {
      // Status is always answered: an unreadable link is a release not known.
      return OptionalInt.empty();
    }
  }
}
