package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What operators changed at run time, kept across restarts of berth as Heroku keeps config vars and
 * the formation: {@code berth env APP set/unset} and {@code berth scale APP type=N}, one file per
 * app under {@code <state_dir>/overrides/}, mode 0600 (the values are often secrets). They win over
 * the config file.
 */
public final class Overrides {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;

  public Overrides(Path dir) {
    this.dir = requireNonNull(dir, "dir");
  }

  /** Stored variables of the app, sorted by name. */
  public synchronized Map<String, String> env(String app) {
    Map<String, String> env = new TreeMap<>();
    read(app).path("env").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
    return env;
  }

  /** Stored instance counts of the app's process types. */
  public synchronized Map<String, Integer> scale(String app) {
    Map<String, Integer> scale = new LinkedHashMap<>();
    read(app).path("scale").properties().forEach(e -> scale.put(e.getKey(), e.getValue().asInt()));
    return scale;
  }

  /** Sets and removes variables. @throws UncheckedIOException when the file cannot be written */
  /** Sets the app's stored variables back to exactly {@code stored} (a refused change). */
  public synchronized void restoreEnv(String app, Map<String, String> stored) throws IOException {
    List<String> unset = env(app).keySet().stream().filter(k -> !stored.containsKey(k)).toList();
    changeEnv(app, stored, unset);
  }

  public synchronized void changeEnv(
      String app, Map<String, String> set, Collection<String> unset) {
    ObjectNode root = read(app);
    ObjectNode env = root.has("env") ? (ObjectNode) root.get("env") : root.putObject("env");
    set.forEach(env::put);
    unset.forEach(env::remove);
    write(app, root);
  }

  public synchronized void scale(String app, String type, int instances) {
    ObjectNode root = read(app);
    ObjectNode scale = root.has("scale") ? (ObjectNode) root.get("scale") : root.putObject("scale");
    scale.put(type, instances);
    write(app, root);
  }

  private Path file(String app) {
    return dir.resolve(app + ".json");
  }

  private ObjectNode read(String app) {
    Path file = file(app);
    if (!Files.exists(file)) {
      return JSON.createObjectNode();
    }
    try {
      JsonNode node = JSON.readTree(file.toFile());
      return node instanceof ObjectNode object ? object : JSON.createObjectNode();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private void write(String app, ObjectNode root) {
    Path file = file(app);
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(
            dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      PrivateFile.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
