package dev.berth.deploy;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a release was made of: each file and link a deploy took into it, with the file's size,
 * modification time and SHA-256 (a link: its target), as the tree was fetched, before a build phase
 * added to it. Kept beside the release ({@code releases/N.files}), so that the app's folder can be
 * compared with the release it runs by content ({@link FolderChanges}): a build's output is not
 * mistaken for a file the folder lost.
 */
final class TreeManifest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One path: a file's size, modification time and content hash (null until read), or a link's
   * target (then size is 0 and the rest null).
   */
  record Entry(long size, String time, String sha256, String link) {
    boolean isLink() {
      return link != null;
    }
  }

  private final Map<String, Entry> entries;

  private TreeManifest(Map<String, Entry> entries) {
    this.entries = Collections.unmodifiableMap(entries);
  }

  /** The files and links of a fetched tree, as a copy of it would take them, each file hashed. */
  static TreeManifest of(Path dir) throws IOException {
    Map<String, Entry> entries = new TreeMap<>();
    FolderTree.fetched(dir)
        .walk(
            new FolderTree.Visitor() {
              @Override
              public void directory(Path path, String relative, BasicFileAttributes attrs) {
                // Directories are what their files make them.
              }

              @Override
              public void file(Path path, String relative, BasicFileAttributes attrs)
                  throws IOException {
                Entry entry = entry(path, attrs);
                entries.put(relative, entry.isLink() ? entry : withHash(entry, path));
              }
            });
    return new TreeManifest(entries);
  }

  /** The entry of a path as it is now, without reading a file's content. */
  static Entry entry(Path path, BasicFileAttributes attrs) throws IOException {
    if (attrs.isSymbolicLink()) {
      return new Entry(0, null, null, Files.readSymbolicLink(path).toString());
    }
    return new Entry(attrs.size(), attrs.lastModifiedTime().toInstant().toString(), null, null);
  }

  /** The entry of {@code path}, if it is a file or link there (not following a link). */
  static Optional<Entry> entry(Path path) throws IOException {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    if (!attrs.isRegularFile() && !attrs.isSymbolicLink()) {
      return Optional.empty();
    }
    return Optional.of(entry(path, attrs));
  }

  static Entry withHash(Entry entry, Path file) throws IOException {
    return new Entry(entry.size(), entry.time(), sha256(file), null);
  }

  /** The entry of a path relative to the tree, if it had one. */
  Optional<Entry> get(String relative) {
    return Optional.ofNullable(entries.get(requireNonNull(relative, "relative")));
  }

  /** Every path, sorted. */
  Set<String> paths() {
    return entries.keySet();
  }

  /** Writes it to {@code file} (mode 0600, written aside and renamed). */
  void write(Path file) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode files = root.putObject("files");
    entries.forEach(
        (path, entry) -> {
          ObjectNode node = files.putObject(path);
          if (entry.isLink()) {
            node.put("link", entry.link());
          } else {
            node.put("size", entry.size()).put("time", entry.time()).put("sha256", entry.sha256());
          }
        });
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(temp);
    Files.createFile(
        temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(temp, JSON.writeValueAsBytes(root));
    try {
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /**
   * The manifest in {@code file}; empty when there is none (a release an earlier berth made) or it
   * cannot be read.
   */
  static Optional<TreeManifest> read(Path file) {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      Map<String, Entry> entries = new TreeMap<>();
      for (Map.Entry<String, JsonNode> e :
          JSON.readTree(file.toFile()).path("files").properties()) {
        JsonNode node = e.getValue();
        entries.put(
            e.getKey(),
            node.has("link")
                ? new Entry(0, null, null, node.path("link").asText())
                : new Entry(
                    node.path("size").asLong(),
                    node.path("time").asText(),
                    node.path("sha256").asText(),
                    null));
      }
      return Optional.of(new TreeManifest(entries));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The SHA-256 of a file's content, in hex. */
  static String sha256(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        digest.update(buffer, 0, n);
      }
    }
    return java.util.HexFormat.of().formatHex(digest.digest());
  }
}
