package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a key of a loaded config is written, for problems found after loading (those that look at
 * the host: whether a program is there, whether a directory is writable, whether a listener's
 * address is free), so that their messages read as the loader's do: {@code berth.toml:12:
 * apps.web.command: ...}.
 */
public final class ConfigLines {

  private final String name;
  private final KeyLines lines;

  private ConfigLines(String name, KeyLines lines) {
    this.name = name;
    this.lines = lines;
  }

  /**
   * The lines of the file the config was loaded from, read again; a file that cannot be read now
   * gives line 1 for every key (a wrong line number, never a wrong check).
   */
  public static ConfigLines of(Config config) {
    requireNonNull(config, "config");
    Path file = config.file();
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      text = "";
    }
    Path name = file.getFileName();
    return new ConfigLines(name == null ? file.toString() : name.toString(), KeyLines.scan(text));
  }

  /** {@code berth.toml:12: apps.web.command: } followed by {@code what}. */
  public String problem(String key, String what) {
    requireNonNull(what, "what");
    return where(key) + ": " + what;
  }

  /** {@code berth.toml:12: apps.web.command}: the file, the key's line and the key. */
  public String where(String key) {
    requireNonNull(key, "key");
    return name + ":" + lines.line(key) + ": " + key;
  }

  /** Whether the file sets {@code key} (else its value is the default). */
  public boolean written(String key) {
    return lines.written(key);
  }

  /** The key of the address of listener {@code index}: {@code listeners[2].address}. */
  public static String listenerAddress(int index) {
    return KeyLines.join(KeyLines.index("listeners", index), "address");
  }

  /**
   * The key {@code key} of route {@code index} (0-based, in file order): {@code routes[1].static}.
   */
  public static String routeKey(int index, String key) {
    return KeyLines.join(KeyLines.index("routes", index), key);
  }

  /** The dotted key of an app's key, quoted as TOML would: {@code apps.web.processes.worker}. */
  public static String appKey(String app, String... keys) {
    String path = KeyLines.join(KeyLines.join("", "apps"), app);
    for (String key : keys) {
      path = KeyLines.join(path, key);
    }
    return path;
  }
}
