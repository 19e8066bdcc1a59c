package dev.berth.testing;

import static java.util.Objects.requireNonNull;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * berth installed as an administrator installs it for every user of a shared server ({@code
 * /opt/berth}): the repository's launcher, {@code ./berth}, with a {@code target/berth.jar} that
 * every user can read. The jar is this test run's code (the tests run before {@code mvn package}
 * makes the real one): a manifest whose Class-Path names copies of this JVM's classpath beside it,
 * so the launcher finds it up to date and runs it as it runs the real one.
 */
public final class LauncherInstall {

  private LauncherInstall() {}

  /** Installs into {@code dir} (made, and left open to all); returns the launcher's path. */
  public static Path into(Path dir) throws IOException {
    requireNonNull(dir, "dir");
    Path target = Files.createDirectories(dir.resolve("target"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path launcher = dir.resolve("berth");
    Files.copy(BerthProcess.repo().resolve("berth"), launcher);
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));

    String classpath = ReadableClasspath.under(Files.createDirectory(target.resolve("cp")));
    List<String> entries = new ArrayList<>();
    for (String entry : classpath.split(File.pathSeparator)) {
      String relative = target.relativize(Path.of(entry)).toString();
      // A Class-Path entry that is a directory must end with a slash.
      entries.add(Files.isDirectory(Path.of(entry)) ? relative + "/" : relative);
    }
    Manifest manifest = new Manifest();
    Attributes main = manifest.getMainAttributes();
    main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
    main.put(Attributes.Name.MAIN_CLASS, "dev.berth.Main");
    main.put(Attributes.Name.CLASS_PATH, String.join(" ", entries));
    // As the real jar's manifest grants it, so that Netty's native transports load quietly.
    main.put(new Attributes.Name("Enable-Native-Access"), "ALL-UNNAMED");
    Path jar = target.resolve("berth.jar");
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream ignored = new JarOutputStream(out, manifest)) {
      // the manifest is the whole jar
    }
    Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
    return launcher;
  }
}
