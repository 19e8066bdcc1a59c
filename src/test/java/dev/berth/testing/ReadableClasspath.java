package dev.berth.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * This JVM's classpath where another user can read it, for a berth a test runs as {@code nobody}:
 * the jars in Maven's repository and the build's class directories may be in a home directory
 * closed to others (root's is 0700).
 */
public final class ReadableClasspath {

  private ReadableClasspath() {}

  /**
   * Links (or copies) every classpath entry under {@code into}, made open to all.
   *
   * @return the classpath naming the links
   */
  public static String under(Path into) throws IOException {
    Files.setPosixFilePermissions(into, PosixFilePermissions.fromString("rwxr-xr-x"));
    List<String> entries = new ArrayList<>();
    int n = 0;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path from = Path.of(entry);
      if (!Files.exists(from)) {
        continue;
      }
      Path to = into.resolve(n++ + "-" + from.getFileName());
      try (Stream<Path> files = Files.walk(from)) {
        for (Path file : (Iterable<Path>) files::iterator) {
          Path target = to.resolve(from.relativize(file).toString());
          if (Files.isDirectory(file)) {
            Files.createDirectories(target);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
          } else {
            readableCopy(file, target);
          }
        }
      }
      entries.add(to.toString());
    }
    return String.join(File.pathSeparator, entries);
  }

  /** A hard link when the file is open to others already (a link shares its modes), else a copy. */
  private static void readableCopy(Path file, Path target) throws IOException {
    if (Files.getPosixFilePermissions(file).contains(PosixFilePermission.OTHERS_READ)) {
      try {
        Files.createLink(target, file);
        return;
      } catch (IOException | UnsupportedOperationException e) {
        // another file system: copied
      }
    }
    Files.copy(file, target);
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
  }
}
