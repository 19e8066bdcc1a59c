package dev.berth.deploy;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;

/**
 * A directory as a release is made from it: what is copied (everything but {@code .git} and {@code
 * .env} at its top, berth's own state dir when it is inside, sockets and pipes), and a fingerprint
 * of exactly that, which tells whether the folder changed since a release was made from it.
 */
final class FolderTree {

  private static final Set<String> SKIPPED_AT_TOP = Set.of(".git", ".env");

  private final Path root;
  private final Path excluded;

  /**
   * @param dir the folder
   * @param exclude a directory not to take when it is inside the folder (berth's state dir), or
   *     null
   */
  FolderTree(Path dir, Path exclude) throws IOException {
    this.root = requireNonNull(dir, "dir").toRealPath();
    this.excluded = exclude != null && Files.isDirectory(exclude) ? exclude.toRealPath() : null;
  }

  /** What a walk sees: directories (before their content) and regular files and symlinks. */
  interface Visitor {
    void directory(Path dir, String relative, BasicFileAttributes attrs) throws IOException;

    void file(Path file, String relative, BasicFileAttributes attrs) throws IOException;
  }

  /**
   * Copies the tree into {@code to} (an existing empty directory): links as links, modes and times
   * kept.
   */
  void copyInto(Path to) throws IOException {
    requireNonNull(to, "to");
    walk(
        new Visitor() {
          @Override
          public void directory(Path dir, String relative, BasicFileAttributes attrs)
              throws IOException {
            copy(dir, to.resolve(relative));
          }

          @Override
          public void file(Path file, String relative, BasicFileAttributes attrs)
              throws IOException {
            copy(file, to.resolve(relative));
          }
        });
  }

  /**
   * A hash of every path's name, type, size, mode and modification time (and each link's target):
   * what {@code ls -lR} would show, without reading the files. An edit changes it; so does a touch,
   * which is taken as a change too.
   */
  String fingerprint() throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
    walk(
        new Visitor() {
          @Override
          public void directory(Path dir, String relative, BasicFileAttributes attrs)
              throws IOException {
            add("d", relative, dir, attrs);
          }

          @Override
          public void file(Path file, String relative, BasicFileAttributes attrs)
              throws IOException {
            if (attrs.isSymbolicLink()) {
              add("l", relative + " -> " + Files.readSymbolicLink(file), file, attrs);
            } else {
              add("f", relative, file, attrs);
            }
          }

          private void add(String type, String name, Path path, BasicFileAttributes attrs)
              throws IOException {
            PosixFileAttributes posix =
                Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            String line =
                type
                    + " "
                    + name
                    + " "
                    + (attrs.isDirectory() ? 0 : attrs.size())
                    + " "
                    + posix.permissions()
                    + " "
                    + attrs.lastModifiedTime().toInstant()
                    + "\n";
            digest.update(line.getBytes(StandardCharsets.UTF_8));
          }
        });
    return HexFormat.of().formatHex(digest.digest());
  }

  /**
   * Visits what a copy takes, each path with its name relative to the folder; {@link
   * Visitor#directory} is called before a directory's content.
   */
  void walk(Visitor visitor) throws IOException {
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
              throws IOException {
            if (dir.equals(root)) {
              return FileVisitResult.CONTINUE;
            }
            if (skippedAtTop(dir) || dir.equals(excluded)) {
              return FileVisitResult.SKIP_SUBTREE;
            }
            visitor.directory(dir, relative(dir), attrs);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            if (!skippedAtTop(file) && (attrs.isRegularFile() || attrs.isSymbolicLink())) {
              visitor.file(file, relative(file), attrs);
            }
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private boolean skippedAtTop(Path path) {
    return path.getParent().equals(root) && SKIPPED_AT_TOP.contains(path.getFileName().toString());
  }

  private String relative(Path path) {
    return root.relativize(path).toString();
  }

  private static void copy(Path from, Path to) throws IOException {
    Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
  }
}
