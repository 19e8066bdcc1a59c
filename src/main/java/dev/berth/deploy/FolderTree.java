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
 * .env} at its top, berth's own state dir when it is inside, sockets and pipes, and what its {@code
 * .berthignore}, else its {@code .gitignore}, leaves out: {@link IgnoreRules}), and a fingerprint
 * of exactly that, which tells whether the folder changed since a release was made from it.
 */
final class FolderTree {

  private static final Set<String> SKIPPED_AT_TOP = Set.of(".git", ".env");

  private final Path root;
  private final Path excluded;
  private final IgnoreRules rules;

  /**
   * An app's folder, as a copy of it takes it: its ignore file read now.
   *
   * @param dir the folder
   * @param exclude a directory not to take when it is inside the folder (berth's state dir), or
   *     null
   */
  FolderTree(Path dir, Path exclude) throws IOException {
    this(dir, exclude, true);
  }

  private FolderTree(Path dir, Path exclude, boolean ignoreFile) throws IOException {
    this.root = requireNonNull(dir, "dir").toRealPath();
    this.excluded = exclude != null && Files.isDirectory(exclude) ? exclude.toRealPath() : null;
    this.rules = ignoreFile ? IgnoreRules.of(root) : IgnoreRules.NONE;
  }

  /**
   * A tree a deploy fetched (a release's): all of it is what the release was made of, whatever an
   * ignore file in it says (a git checkout keeps the tracked files its .gitignore names).
   */
  static FolderTree fetched(Path dir) throws IOException {
    return new FolderTree(dir, null, false);
  }

  /**
   * What a walk left out by the ignore file (not counting {@code .git}, {@code .env} and berth's
   * state dir, always left out): files and links, and directories, each counted once, not what is
   * in them.
   *
   * @param file the ignore file, or null when there is none
   */
  record LeftOut(String file, int files, int directories) {

    /** "3 left out by .berthignore", "2 files and 1 directory left out by .gitignore"; or null. */
    String describe() {
      if (file == null || files + directories == 0) {
        return null;
      }
      String what =
          directories == 0
              ? String.valueOf(files)
              : files == 0
                  ? plural(directories, "directory", "directories")
                  : plural(files, "file", "files")
                      + " and "
                      + plural(directories, "directory", "directories");
      return what + " left out by " + file;
    }

    private static String plural(int n, String one, String many) {
      return n + " " + (n == 1 ? one : many);
    }
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
  LeftOut copyInto(Path to) throws IOException {
    requireNonNull(to, "to");
    return walk(
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
   * Visitor#directory} is called before a directory's content. A directory the ignore file leaves
   * out is not entered: a pattern cannot take back a path in it, as in git.
   *
   * @return what the ignore file left out
   */
  LeftOut walk(Visitor visitor) throws IOException {
    requireNonNull(visitor, "visitor");
    int[] leftOut = new int[2];
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
            String relative = relative(dir);
            if (rules.ignored(relative, true)) {
              leftOut[1]++;
              return FileVisitResult.SKIP_SUBTREE;
            }
            visitor.directory(dir, relative, attrs);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            if (!skippedAtTop(file) && (attrs.isRegularFile() || attrs.isSymbolicLink())) {
              String relative = relative(file);
              if (rules.ignored(relative, false)) {
                leftOut[0]++;
              } else {
                visitor.file(file, relative, attrs);
              }
            }
            return FileVisitResult.CONTINUE;
          }
        });
    return new LeftOut(rules.file(), leftOut[0], leftOut[1]);
  }

  private boolean skippedAtTop(Path path) {
    return path.getParent().equals(root) && SKIPPED_AT_TOP.contains(path.getFileName().toString());
  }

  /**
   * The path relative to the folder, {@code /}-separated (as ignore patterns and manifests are).
   */
  private String relative(Path path) {
    return root.relativize(path).toString();
  }

  private static void copy(Path from, Path to) throws IOException {
    Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
  }
}
