package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.config.Listener;
import dev.berth.config.UnixSocket;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * A unix-socket listener's file, from before its bind until it is removed. So that the socket is
 * never reachable with more permissions than configured, not for a moment, it is bound in a private
 * directory made beside its path ({@code DIR/.bXXXXXXXX/s}, 0700, so the umask does not matter),
 * given its group and mode there, and then renamed into place: rename(2) replaces a stale socket
 * file in one step. Its inode is remembered, so that only the file berth made is removed later,
 * never one that replaced it (a reload that changed the mode, another process).
 */
final class SocketFile {

  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Listener listener;
  private final UnixSocket socket;
  private final Path staging;

  /** The placed file's (device, inode), or null until it is placed. */
  private Object fileKey;

  private SocketFile(Listener listener, Path staging) {
    this.listener = listener;
    this.socket = listener.unix();
    this.staging = staging;
  }

  /**
   * Checks what is at the listener's path, and makes the private directory to bind in.
   *
   * @param ours whether one of this berth's listeners accepts on the path (a reload that changes
   *     its mode or group takes it over in place)
   * @throws CannotListen when the path is taken: a live socket, a file that is not a socket, a
   *     directory that is missing or closed to berth
   */
  static SocketFile prepare(Listener listener, boolean ours) throws CannotListen {
    requireNonNull(listener, "listener");
    Path path = listener.unix().path();
    checkPlace(listener, path, ours);
    Path dir = path.getParent();
    Path staging = dir.resolve(".b" + HexFormat.of().toHexDigits(RANDOM.nextInt()));
    try {
      // The mode is given to mkdir, so the umask only takes bits away.
      Files.createDirectory(
          staging,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (NoSuchFileException e) {
      throw failed(listener, "directory " + dir + " does not exist", e);
    } catch (AccessDeniedException e) {
      throw failed(
          listener,
          "cannot make the socket: permission denied in " + dir + " (berth needs to write there)",
          e);
    } catch (IOException e) {
      throw failed(listener, "cannot make the socket in " + dir + ": " + reason(e), e);
    }
    return new SocketFile(listener, staging);
  }

  /** Where the server channel binds: inside the private directory. */
  Path bindPath() {
    return staging.resolve("s");
  }

  /**
   * Gives the bound socket its group and mode, then renames it into place (replacing a stale file),
   * and removes the private directory.
   *
   * @throws CannotListen when the group cannot be given (berth's user is not a member) or the
   *     rename fails; the private directory is gone then too
   */
  void place() throws CannotListen {
    Path bound = bindPath();
    try {
      // Following links: the JDK opens the file for that with O_NOFOLLOW, which a socket refuses
      // (ENXIO). Nobody else can put a link here: the directory is berth's, 0700.
      PosixFileAttributeView view = Files.getFileAttributeView(bound, PosixFileAttributeView.class);
      if (socket.group() != null) {
        setGroup(view);
      }
      view.setPermissions(permissions(socket.mode()));
      fileKey =
          Files.readAttributes(bound, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
              .fileKey();
      Files.move(bound, socket.path(), StandardCopyOption.ATOMIC_MOVE);
    } catch (CannotListen e) {
      abandon();
      throw e;
    } catch (IOException e) {
      abandon();
      throw failed(listener, "cannot put the socket in place: " + reason(e), e);
    }
    abandon();
  }

  private void setGroup(PosixFileAttributeView view) throws IOException {
    String group = socket.group();
    try {
      view.setGroup(
          FileSystems.getDefault()
              .getUserPrincipalLookupService()
              .lookupPrincipalByGroupName(group));
    } catch (UserPrincipalNotFoundException e) {
      throw failed(listener, "socket_group " + group + " is not a group of this host", e);
    } catch (FileSystemException e) {
      if (!String.valueOf(e.getReason()).contains("not permitted")) {
        throw e;
      }
      String dir = socket.path().getParent().toString();
      throw failed(
          listener,
          "cannot give the socket to group "
              + group
              + ": "
              + System.getProperty("user.name")
              + " is not a member of it. Leave socket_group out, and ask the administrator to"
              + " make "
              + dir
              + " yours and setgid to "
              + group
              + " (install -d -o "
              + System.getProperty("user.name")
              + " -g "
              + group
              + " -m 2750 "
              + dir
              + "): a socket made in it gets its group",
          e);
    }
  }

  /** Removes the private directory and what is still in it (after a failed bind or place). */
  void abandon() {
    try {
      Files.deleteIfExists(bindPath());
      Files.deleteIfExists(staging);
    } catch (IOException e) {
      // A leftover ".bXXXXXXXX" directory of berth's own harms nothing.
    }
  }

  /** Removes the socket file, if it is still the one berth placed. */
  void remove() {
    if (fileKey == null) {
      return;
    }
    try {
      Object now =
          Files.readAttributes(socket.path(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
              .fileKey();
      if (Objects.equals(now, fileKey)) {
        Files.delete(socket.path());
      }
    } catch (IOException e) {
      // Gone already, or no longer berth's to remove.
    }
  }

  /** Refuses a path that a live socket or another kind of file holds; a stale socket may go. */
  private static void checkPlace(Listener listener, Path path, boolean ours) throws CannotListen {
    int mode;
    try {
      mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    } catch (IOException | UnsupportedOperationException e) {
      throw failed(listener, "cannot look at " + path + ": " + e.getMessage(), e);
    }
    if ((mode & S_IFMT) != S_IFSOCK) {
      throw failed(
          listener, path + " exists and is not a socket (berth does not replace it)", null);
    }
    if (ours) {
      return;
    }
    boolean live;
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      // Not blocking: a live socket with a full backlog would hold a blocking connect.
      probe.configureBlocking(false);
      probe.connect(UnixDomainSocketAddress.of(path));
      live = true;
    } catch (ConnectException e) {
      // Refused: nothing accepts on it. A stale file of a berth that was killed: replaced.
      live = false;
    } catch (IOException e) {
      if (String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT).contains("permission denied")) {
        throw failed(
            listener,
            path
                + " is a socket berth may not connect to, so it cannot tell whether it is in"
                + " use: remove it if nothing uses it",
            e);
      }
      // Gone meanwhile: berth makes its own.
      live = false;
    }
    if (live) {
      throw CannotListen.inUse(listener, "a process accepts connections on it");
    }
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    StringBuilder text = new StringBuilder(9);
    String letters = "rwxrwxrwx";
    for (int bit = 0; bit < 9; bit++) {
      text.append((mode & (0400 >> bit)) != 0 ? letters.charAt(bit) : '-');
    }
    return PosixFilePermissions.fromString(text.toString());
  }

  private static String reason(IOException e) {
    return e instanceof FileSystemException f && f.getReason() != null
        ? f.getReason()
        : String.valueOf(e.getMessage());
  }

  private static CannotListen failed(Listener listener, String why, Throwable cause) {
    return CannotListen.because(listener, why, cause);
  }
}
