package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.config.UserAccount;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Where web processes listen: a unix socket under berth's run directory, or a free TCP port on
 * 127.0.0.1. A socket name is taken from allocation until {@link #release}, so that a successor (a
 * rolling restart's, a deploy's new generation) starts beside the process it replaces.
 */
final class Endpoints {

  private static final System.Logger LOG = System.getLogger(Endpoints.class.getName());

  /**
   * Socket names per instance number: app-N.0.sock to app-N.9.sock (the config checks the length
   * with one digit).
   */
  private static final int SOCKET_SLOTS = 10;

  private final Path runDir;

  /** Unix socket paths taken, from allocation until their file is removed. Guarded by itself. */
  private final Set<Path> socketsInUse = new HashSet<>();

  /**
   * @param runDir where the apps' socket directories go; must exist
   */
  Endpoints(Path runDir) {
    this.runDir = requireNonNull(runDir, "runDir");
  }

  /** A fresh endpoint for instance {@code number} of {@code app}, reachable by its user. */
  Endpoint allocate(App app, int number, Optional<UserAccount> runAs) throws IOException {
    return switch (app.run().socket()) {
      case UNIX -> socket(app, number, runAs);
      case TCP -> {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
          yield new Endpoint.Tcp(probe.getLocalPort());
        }
      }
    };
  }

  private Endpoint socket(App app, int number, Optional<UserAccount> runAs) throws IOException {
    // A directory per app, the app's own when it runs as another user, so that it can create its
    // socket there and no other app's user can reach it.
    Path dir = runDir.resolve(app.name());
    try {
      Files.createDirectory(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (FileAlreadyExistsException e) {
      // Made by an earlier run, or by another instance of the app starting at the same time.
    }
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    if (runAs.isPresent()) {
      Files.setAttribute(dir, "unix:uid", (int) runAs.get().uid());
      Files.setAttribute(dir, "unix:gid", (int) runAs.get().gid());
    }
    // The first name no live incarnation of this instance number has: names alternate .0/.1 as a
    // rule (config's socket path check assumes this form).
    Path socket = null;
    synchronized (socketsInUse) {
      for (int slot = 0; slot < SOCKET_SLOTS && socket == null; slot++) {
        Path candidate = dir.resolve(app.name() + "-" + number + "." + slot + ".sock");
        if (socketsInUse.add(candidate)) {
          socket = candidate;
        }
      }
    }
    if (socket == null) {
      throw new IOException("no free socket name for " + app.name() + "." + number + " in " + dir);
    }
    try {
      // A socket file left by an earlier run would make the app's bind fail.
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      release(new Endpoint.Unix(socket));
      throw e;
    }
    return new Endpoint.Unix(socket);
  }

  /**
   * Removes the socket file and frees its name, once: a second call for the same endpoint must not
   * remove the file of another incarnation that has the name by then. Nothing to do for TCP or
   * null.
   */
  void release(Endpoint endpoint) {
    if (!(endpoint instanceof Endpoint.Unix unix)) {
      return;
    }
    synchronized (socketsInUse) {
      if (!socketsInUse.contains(unix.path())) {
        return;
      }
      try {
        Files.deleteIfExists(unix.path());
      } catch (IOException e) {
        LOG.log(System.Logger.Level.DEBUG, "cannot remove {0}", unix.path());
      }
      socketsInUse.remove(unix.path());
    }
  }
}
