package dev.berth.accesslog;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * One log file open for appending, used by the writer thread only. It never throws: a file that
 * cannot be written is reported once, its lines count as dropped, and it is opened again at the
 * next rotation check.
 */
final class LogFile {

  // One write syscall per flushed batch unless the batch is larger than this.
  private static final int BUFFER = 64 * 1024;
  private static final FileAttribute<?> MODE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r-----"));

  private final Path path;
  private final PrintStream out;
  private final LongAdder dropped;
  private BufferedWriter writer; // null while the file cannot be opened
  private Object fileKey; // the inode we write to, to notice a rename or delete
  private int unflushed; // lines appended since the last flush: lost if writing fails
  private boolean failing; // reported, so the next failure is not reported again

  LogFile(Path path, PrintStream out, LongAdder dropped) {
    this.path = path;
    this.out = out;
    this.dropped = dropped;
    open();
  }

  void append(String line) {
    if (writer == null) {
      dropped.increment();
      return;
    }
    try {
      unflushed++;
      writer.write(line);
      writer.write('\n');
    } catch (IOException e) {
      failed(e);
    }
  }

  void flush() {
    if (writer == null) {
      return;
    }
    try {
      writer.flush();
      unflushed = 0;
    } catch (IOException e) {
      failed(e);
    }
  }

  /** Closes the file and opens whatever is at its path now: after logrotate, a new file. */
  void reopen() {
    close();
    open();
  }

  /** Reopens if the path is gone or names another file than ours (renamed away), or we failed. */
  void reopenIfMoved() {
    if (writer == null) {
      open();
      return;
    }
    try {
      if (!Objects.equals(
          fileKey, Files.readAttributes(path, BasicFileAttributes.class).fileKey())) {
        reopen();
      }
    } catch (NoSuchFileException e) {
      reopen();
    } catch (IOException e) {
      // Cannot tell (permissions on the directory changed?): keep writing where we are.
    }
  }

  void close() {
    if (writer == null) {
      return;
    }
    flush();
    try {
      if (writer != null) {
        writer.close();
      }
    } catch (IOException e) {
      failed(e);
    }
    writer = null;
  }

  private void open() {
    FileChannel channel = null;
    try {
      Files.createDirectories(path.getParent());
      channel = FileChannel.open(path, Set.of(CREATE, WRITE, APPEND), MODE);
      fileKey = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
      writer =
          new BufferedWriter(
              Channels.newWriter(channel, StandardCharsets.UTF_8.newEncoder(), BUFFER), BUFFER);
      if (failing) {
        out.println("berth: access log " + path + ": writing again");
        failing = false;
      }
    } catch (IOException | RuntimeException e) {
      closeQuietly(channel);
      failed(e);
    }
  }

  private void failed(Exception e) {
    dropped.add(unflushed);
    unflushed = 0;
    if (writer != null) {
      closeQuietly(writer);
      writer = null;
    }
    if (!failing) {
      failing = true;
      out.println("berth: access log " + path + ": cannot write, dropping lines: " + e);
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception ignored) {
      // Already failing; the first error was reported.
    }
  }
}
