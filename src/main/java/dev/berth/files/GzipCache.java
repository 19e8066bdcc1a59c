package dev.berth.files;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Files gzip-compressed in memory, the most recently used kept up to a total size, so that hot
 * files are compressed once rather than on every request. Shared by all event loops.
 */
public final class GzipCache {

  /** A file's content as of one size and modification time: a changed file is a new key. */
  private record Key(Path file, long size, FileTime modified) {}

  private final long capacity;
  private final LinkedHashMap<Key, byte[]> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long total;

  /**
   * @param capacity the most compressed bytes to keep
   */
  public GzipCache(long capacity) {
    this.capacity = capacity;
  }

  /**
   * The gzip of {@code file}, which has {@code attributes}: from the cache, or read and compressed
   * now (on the caller's thread, so keep files small) and kept. Two threads that miss at once both
   * compress; that is cheaper than making one wait.
   *
   * @throws IOException also when the file no longer has the size its attributes say
   */
  public byte[] gzip(Path file, BasicFileAttributes attributes) throws IOException {
    Key key = new Key(file, attributes.size(), attributes.lastModifiedTime());
    synchronized (this) {
      byte[] hit = entries.get(key);
      if (hit != null) {
        return hit;
      }
    }
    byte[] content;
    try (InputStream in = Files.newInputStream(file)) {
      // One byte more than expected is enough to tell that the file grew; never read it all.
      content = in.readNBytes((int) Math.min(key.size() + 1, Integer.MAX_VALUE - 8));
    }
    if (content.length != key.size()) {
      throw new IOException(file + " changed while being read");
    }
    byte[] compressed = compress(content);
    put(key, compressed);
    return compressed;
  }

  /** Compressed bytes held now; never more than the capacity. */
  public synchronized long size() {
    return total;
  }

  private synchronized void put(Key key, byte[] compressed) {
    if (compressed.length > capacity) {
      return;
    }
    byte[] previous = entries.put(key, compressed);
    total += compressed.length - (previous == null ? 0 : previous.length);
    Iterator<Map.Entry<Key, byte[]>> eldest = entries.entrySet().iterator();
    while (total > capacity) {
      total -= eldest.next().getValue().length;
      eldest.remove();
    }
  }

  /**
   * Level 1, nginx's default gzip_comp_level: it is several times faster than the default 6 and
   * only some 15% larger. Precompressed .gz files are the way to better ratios.
   */
  private static byte[] compress(byte[] content) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(content.length / 3 + 64);
    try (GZIPOutputStream gzip =
        new GZIPOutputStream(out) {
          {
            def.setLevel(Deflater.BEST_SPEED);
          }
        }) {
      gzip.write(content);
    }
    return out.toByteArray();
  }
}
