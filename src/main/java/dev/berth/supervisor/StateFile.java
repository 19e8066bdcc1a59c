package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code <state_dir>/processes.json}: the app processes this berth started, each with its pid and
 * start time. Rewritten whenever one starts or stops. A berth that was killed (SIGKILL, OOM) cannot
 * stop its apps, and they run on in their own sessions; the next {@code berth up} reads the file
 * and ends them before it starts anything.
 */
public final class StateFile {

  private static final System.Logger LOG = System.getLogger(StateFile.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;

  /** One process berth started. */
  public record Entry(String instance, long pid, Instant started) {
    public Entry {
      requireNonNull(instance, "instance");
      requireNonNull(started, "started");
    }
  }

  public StateFile(Path file) {
    this.file = requireNonNull(file, "file");
  }

  public Path path() {
    return file;
  }

  /** Replaces the file's content: written aside, then renamed over it, mode 0600. */
  synchronized void write(List<Entry> entries) {
    ObjectNode root = JSON.createObjectNode();
    root.put("berth_pid", ProcessHandle.current().pid());
    ArrayNode processes = root.putArray("processes");
    for (Entry entry : entries) {
      processes
          .addObject()
          .put("instance", entry.instance())
          .put("pid", entry.pid())
          .put("started_ms", entry.started().toEpochMilli());
    }
    try {
      PrivateFile.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot write {0}: {1}", file, e.getMessage());
    }
  }

  /** What the file lists; empty when there is no file or it cannot be read. */
  List<Entry> read() {
    if (!Files.exists(file)) {
      return List.of();
    }
    List<Entry> entries = new ArrayList<>();
    try {
      JsonNode root = JSON.readTree(file.toFile());
      for (JsonNode p : root.path("processes")) {
        entries.add(
            new Entry(
                p.path("instance").asText("?"),
                p.path("pid").asLong(),
                Instant.ofEpochMilli(p.path("started_ms").asLong())));
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "ignoring unreadable {0}: {1}", file, e.getMessage());
    }
    return entries;
  }

  /**
   * Ends the processes a previous berth left running: SIGTERM, up to {@code timeout}, then
   * SIGKILL. @return one line per instance that had processes left, for berth's output
   */
  public List<String> endLeftovers(Duration timeout) {
    List<String> report = new ArrayList<>();
    List<Set<ProcessHandle>> groups = new ArrayList<>();
    for (Entry entry : read()) {
      Set<ProcessHandle> left = ProcessTree.leftovers(entry.pid(), entry.started());
      if (left.isEmpty()) {
        continue;
      }
      groups.add(left);
      report.add(entry.instance() + " (pid " + entry.pid() + "): " + left.size() + " process(es)");
      ProcessTree.signal(left, false);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Set<ProcessHandle> left : groups) {
      while (ProcessTree.anyAlive(left) && System.nanoTime() < deadline) {
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      left.removeIf(p -> !p.isAlive());
      ProcessTree.signal(left, true);
    }
    write(List.of());
    return report;
  }
}
