package dev.berth.logs;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * An app's log file, rotated by size: {@code app.log} becomes {@code app.log.1}, {@code .1} becomes
 * {@code .2}, and so on up to {@code keep}. Used by one writer thread only. Lines are never split
 * across files: a file is rotated before a line that would take it past the limit, unless the file
 * is empty (a line longer than the limit gets a file of its own).
 */
final class RotatingFile implements AutoCloseable {

  // One write syscall per batch of up to this many bytes.
  private static final int BUFFER = 64 * 1024;
  private static final long ROTATION_RETRY_NANOS = TimeUnit.MINUTES.toNanos(1);
  private static final FileAttribute<?> MODE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r-----"));

  private final Path path;
  private final long maxBytes;
  private final int keep;
  private final ByteBuffer pending = ByteBuffer.allocate(BUFFER);
  private FileChannel channel;
  private long size; // bytes in the file, not counting pending
  private long noRotationUntil = System.nanoTime(); // after a failed rotation, not before this
  private IOException rotationFailure; // not yet reported

  /** Opens the file for appending (creating it 0640): a restart of berth keeps what is there. */
  RotatingFile(Path path, long maxBytes, int keep) throws IOException {
    this.path = path;
    this.maxBytes = maxBytes;
    this.keep = keep;
    open();
  }

  /** Appends the lines, rotating as needed, and hands them to the kernel before returning. */
  void write(List<LogLine> lines) throws IOException {
    for (LogLine line : lines) {
      byte[] bytes = (line.format() + "\n").getBytes(StandardCharsets.UTF_8);
      long used = size + pending.position();
      if (used > 0 && used + bytes.length > maxBytes && System.nanoTime() - noRotationUntil >= 0) {
        writePending();
        rotate();
      }
      if (bytes.length > pending.remaining()) {
        writePending();
      }
      if (bytes.length > pending.capacity()) {
        writeFully(ByteBuffer.wrap(bytes));
      } else {
        pending.put(bytes);
      }
    }
    writePending();
  }

  /**
   * Why the last rotation failed, once, or null. The file then grows past its limit (losing lines
   * would be worse) and rotation is tried again a minute later.
   */
  IOException takeRotationFailure() {
    IOException failure = rotationFailure;
    rotationFailure = null;
    return failure;
  }

  @Override
  public void close() throws IOException {
    if (channel != null) {
      try {
        writePending();
      } finally {
        channel.close();
        channel = null;
      }
    }
  }

  private void open() throws IOException {
    channel = FileChannel.open(path, Set.of(CREATE, WRITE, APPEND), MODE);
    size = channel.size();
  }

  private void rotate() throws IOException {
    channel.close();
    channel = null;
    try {
      // Files beyond keep: left by an earlier run with a larger keep, they would never go away.
      for (int n = keep + 1; Files.deleteIfExists(rotated(n)); n++) {}
      if (keep == 0) {
        Files.deleteIfExists(path);
      } else {
        for (int n = keep - 1; n >= 1; n--) {
          if (Files.exists(rotated(n))) {
            Files.move(rotated(n), rotated(n + 1), StandardCopyOption.REPLACE_EXISTING);
          }
        }
        Files.move(path, rotated(1), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      rotationFailure = e;
      noRotationUntil = System.nanoTime() + ROTATION_RETRY_NANOS;
    }
    open();
  }

  private Path rotated(int n) {
    return path.resolveSibling(path.getFileName() + "." + n);
  }

  private void writePending() throws IOException {
    pending.flip();
    try {
      writeFully(pending);
    } finally {
      pending.clear();
    }
  }

  private void writeFully(ByteBuffer bytes) throws IOException {
    while (bytes.hasRemaining()) {
      size += channel.write(bytes);
    }
  }
}
