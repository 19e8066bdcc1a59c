package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a key of a config file is, for a problem found after the config was loaded (a listener
 * whose address is taken): {@code berth.toml:3: listeners[0].address}, as config errors say it.
 */
public final class KeyLocation {

  private KeyLocation() {}

  /**
   * The file's name, the key's line and the key. The file is read again for the line: a file
   * changed since it was loaded costs a wrong line number, never more.
   */
  public static String of(Path file, String key) {
    requireNonNull(file, "file");
    requireNonNull(key, "key");
    Path name = file.getFileName();
    String shown = name == null ? file.toString() : name.toString();
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      return shown + ":" + KeyLines.scan(text).line(key) + ": " + key;
    } catch (IOException | UncheckedIOException e) {
      return shown + ": " + key;
    }
  }

  /**
   * The key of the address of the config's listener at {@code index}: {@code listeners[2].address}.
   */
  public static String listenerAddress(int index) {
    return KeyLines.join(KeyLines.index("listeners", index), "address");
  }
}
