package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.edge.Maintenance;
import dev.berth.supervisor.PrivateFile;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Which apps are in maintenance, kept across restarts of berth: one file per app under {@code
 * <state_dir>/maintenance/} (beside the overrides), mode 0600 in a 0700 directory, holding the page
 * and Retry-After the command gave. No file: the app serves.
 */
final class MaintenanceStore {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SUFFIX = ".json";

  private final Path dir;

  MaintenanceStore(Path dir) {
    this.dir = requireNonNull(dir, "dir");
  }

  /**
   * Every stored app, by name; a file that cannot be read is told to {@code problems} and left out
   * (berth starts anyway, that app serving).
   */
  synchronized Map<String, Maintenance.Notice> load(Consumer<String> problems) {
    Map<String, Maintenance.Notice> apps = new TreeMap<>();
    if (!Files.isDirectory(dir)) {
      return apps;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        try {
          JsonNode node = JSON.readTree(file.toFile());
          JsonNode page = node.path("page");
          apps.put(
              name.substring(0, name.length() - SUFFIX.length()),
              new Maintenance.Notice(
                  page.isTextual() ? page.textValue() : null,
                  node.path("retry_after").asInt(MaintenanceCommand.DEFAULT_RETRY_AFTER)));
        } catch (IOException | RuntimeException e) {
          problems.accept("cannot read " + file + ": " + e.getMessage());
        }
      }
    } catch (IOException e) {
      problems.accept("cannot read " + dir + ": " + e.getMessage());
    }
    return apps;
  }

  synchronized void put(String app, Maintenance.Notice notice) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    if (notice.page() != null) {
      root.put("page", notice.page());
    }
    root.put("retry_after", notice.retryAfterSeconds());
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    PrivateFile.write(file(app), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
  }

  synchronized void remove(String app) throws IOException {
    Files.deleteIfExists(file(app));
  }

  private Path file(String app) {
    return dir.resolve(app + SUFFIX);
  }
}
