package dev.berth.daemon;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * {@code <state_dir>/berth.pid}: locked by the berth that runs from this state dir for as long as
 * it runs, so that a second one (a watchdog's {@code berth up --detach} while the first is still
 * starting, say) says so and exits before it touches anything; the first one's pid written into it
 * once it serves (listeners bound, apps started), as a forking daemon's pid file is there when its
 * start returns; removed on a clean exit. Mode 0644, as pid files are: the pid is no secret, and
 * the state dir keeps other users out anyway.
 *
 * <p>The lock is a POSIX record lock ({@code fcntl}, what {@link FileChannel#tryLock} takes): the
 * kernel drops it when the process dies, however it dies. A process drops all its locks on a file
 * when it closes any descriptor of that file, so the daemon opens it once and nothing else in its
 * JVM may open it ({@link #holder} is for the commands that start one).
 */
public final class PidFile implements AutoCloseable {

  public static final String NAME = "berth.pid";

  /**
   * How long a start waits for the lock before it says another berth holds it: a {@code berth up
   * --detach} that looks whether one runs holds it for a moment (see {@link #holder}).
   */
  private static final int LOCK_TRIES = 20;

  private static final long LOCK_RETRY_MILLIS = 50;

  private final Path path;
  private final FileChannel channel;
  private final FileLock lock;

  private PidFile(Path path, FileChannel channel, FileLock lock) {
    this.path = path;
    this.channel = channel;
    this.lock = lock;
  }

  /** The berth that holds a state dir's lock: its pid once it serves, else empty (starting). */
  public record Holder(Path file, OptionalLong pid) {
    /** "berth is already running (pid 1234, /srv/.berth/berth.pid)". */
    public String describe() {
      return "berth is already running ("
          + (pid.isPresent() ? "pid " + pid.getAsLong() : "starting")
          + ", "
          + file
          + ")";
    }
  }

  /** Another berth holds the lock. */
  static final class HeldException extends IOException {
    HeldException(Holder holder) {
      super(holder.describe());
    }
  }

  /**
   * Takes the state dir's lock, for this process's life.
   *
   * @throws HeldException when another berth holds it
   * @throws IOException when the file cannot be opened, with berth's message
   */
  static PidFile lock(Path stateDir) throws IOException {
    Path path = stateDir.resolve(NAME).toAbsolutePath();
    FileChannel channel;
    try {
      channel = open(path);
    } catch (IOException e) {
      throw new IOException("berth: cannot open " + path + ": " + e.getMessage(), e);
    }
    try {
      for (int attempt = 1; ; attempt++) {
        FileLock lock = tryLock(channel);
        if (lock != null) {
          // What a berth killed with SIGKILL left is not this one's pid.
          channel.truncate(0);
          return new PidFile(path, channel, lock);
        }
        if (attempt == LOCK_TRIES) {
          throw new HeldException(new Holder(path, read(path)));
        }
        sleep();
      }
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Writes this process's pid: berth serves. */
  void serving() throws IOException {
    channel.truncate(0);
    ByteBuffer pid = US_ASCII.encode(ProcessHandle.current().pid() + "\n");
    while (pid.hasRemaining()) {
      channel.write(pid, channel.size());
    }
    channel.force(false);
  }

  /** Removes the file, then lets go of the lock: berth stopped cleanly (or never served). */
  @Override
  public void close() {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      // Left behind, it names no running berth: the next start takes it over.
    }
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      // The lock goes with the process anyway.
    }
  }

  /**
   * Whether a berth holds the lock of this state dir: empty when none does (or the file cannot be
   * opened: the start then says why); else the holder, with its pid once it serves. Never to be
   * called in a JVM that holds the lock: closing the file would drop it.
   */
  public static Optional<Holder> holder(Path stateDir) {
    Path path = stateDir.resolve(NAME).toAbsolutePath();
    if (!Files.exists(path)) {
      return Optional.empty();
    }
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
      FileLock lock = tryLock(channel);
      if (lock != null) {
        lock.release();
        return Optional.empty();
      }
      return Optional.of(new Holder(path, read(path)));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The pid the file names, if it names one. */
  public static OptionalLong read(Path path) {
    try {
      String text = Files.readString(path, US_ASCII).strip();
      return text.matches("[1-9][0-9]{0,18}")
          ? OptionalLong.of(Long.parseLong(text))
          : OptionalLong.empty();
    } catch (IOException e) {
      return OptionalLong.empty();
    }
  }

  private static FileChannel open(Path path) throws IOException {
    requireNonNull(path, "path");
    return FileChannel.open(
        path,
        Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
  }

  /**
   * The lock, or null when another process holds it (or this JVM does, through another channel).
   */
  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (OverlappingFileLockException e) {
      return null;
    }
  }

  private static void sleep() {
    try {
      Thread.sleep(LOCK_RETRY_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
