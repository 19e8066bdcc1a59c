package dev.berth.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GzipCacheTest {

  @TempDir Path tmp;

  /** A file that barely compresses, so its gzip is about as large as it is. */
  private Path randomFile(String name, int size) throws IOException {
    byte[] content = new byte[size];
    new Random(name.hashCode()).nextBytes(content);
    return Files.write(tmp.resolve(name), content);
  }

  private static BasicFileAttributes attributes(Path file) throws IOException {
    return Files.readAttributes(file, BasicFileAttributes.class);
  }

  private static byte[] gunzip(byte[] compressed) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
      return in.readAllBytes();
    }
  }

  @Test
  void compressesOnceAndHandsOutTheSameBytes() throws IOException {
    Path file = Files.writeString(tmp.resolve("a.txt"), "hello, hello, hello, hello\n".repeat(100));
    GzipCache cache = new GzipCache(1 << 20);
    byte[] first = cache.gzip(file, attributes(file));
    assertThat(gunzip(first)).isEqualTo(Files.readAllBytes(file));
    assertThat(first.length).isLessThan(200);
    assertThat(cache.gzip(file, attributes(file))).isSameAs(first);
    assertThat(cache.size()).isEqualTo(first.length);
  }

  @Test
  void aChangedFileIsANewEntry() throws IOException {
    Path file = Files.writeString(tmp.resolve("a.txt"), "one ".repeat(100));
    GzipCache cache = new GzipCache(1 << 20);
    byte[] before = cache.gzip(file, attributes(file));
    Files.writeString(file, "two ".repeat(100));
    Files.setLastModifiedTime(
        file, FileTime.fromMillis(attributes(file).lastModifiedTime().toMillis() + 5000));
    assertThat(gunzip(cache.gzip(file, attributes(file))))
        .isEqualTo(Files.readAllBytes(file))
        .isNotEqualTo(gunzip(before));
  }

  @Test
  void neverHoldsMoreThanItsCapacityAndDropsTheLeastRecentlyUsed() throws IOException {
    GzipCache cache = new GzipCache(25_000);
    Path a = randomFile("a", 10_000);
    Path b = randomFile("b", 10_000);
    Path c = randomFile("c", 10_000);
    byte[] gzipOfA = cache.gzip(a, attributes(a));
    cache.gzip(b, attributes(b));
    assertThat(cache.gzip(a, attributes(a))).isSameAs(gzipOfA); // a is now the most recently used
    cache.gzip(c, attributes(c)); // evicts b, not a
    assertThat(cache.size()).isLessThanOrEqualTo(25_000).isGreaterThan(20_000);
    assertThat(cache.gzip(a, attributes(a))).isSameAs(gzipOfA);

    Path big = randomFile("big", 30_000);
    assertThat(gunzip(cache.gzip(big, attributes(big)))).isEqualTo(Files.readAllBytes(big));
    assertThat(cache.size()).isLessThanOrEqualTo(25_000);
    assertThat(cache.gzip(a, attributes(a)))
        .isSameAs(gzipOfA); // too big to keep, so it evicted nothing
  }

  @Test
  void refusesAFileThatNoLongerHasItsSize() throws IOException {
    Path file = Files.writeString(tmp.resolve("a.txt"), "short");
    BasicFileAttributes stale = attributes(file);
    Files.writeString(file, "longer than before");
    GzipCache cache = new GzipCache(1 << 20);
    assertThatThrownBy(() -> cache.gzip(file, stale)).isInstanceOf(IOException.class);
    assertThat(cache.size()).isZero();
  }
}
