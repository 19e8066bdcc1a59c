package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which process listens on a TCP address, as far as Linux's /proc tells: the listening socket's
 * inode from {@code net/tcp} and {@code net/tcp6}, then the process with a descriptor on it. Only
 * for a message ("by nginx, pid 1234"): what /proc does not show (another user's processes, when
 * berth is not root) is simply not said.
 */
final class PortHolder {

  private static final String LISTEN = "0A";

  private final Path proc;

  /**
   * @param proc where proc(5) is mounted ({@code /proc}; a tree laid out as it, in tests)
   */
  PortHolder(Path proc) {
    this.proc = requireNonNull(proc, "proc");
  }

  static PortHolder system() {
    return new PortHolder(Path.of("/proc"));
  }

  /**
   * {@code "nginx, pid 1234"} for the process listening where {@code address} would, or {@code
   * "another listener of this berth"}.
   */
  Optional<String> describe(InetSocketAddress address) {
    requireNonNull(address, "address");
    try {
      Set<String> inodes = listening(address);
      return inodes.isEmpty() ? Optional.empty() : owner(inodes);
    } catch (IOException | RuntimeException e) {
      // Best effort only: a message without the holder is still the right message.
      return Optional.empty();
    }
  }

  /** Inodes of the listening sockets that keep {@code address} from being bound. */
  private Set<String> listening(InetSocketAddress address) throws IOException {
    Set<String> inodes = new HashSet<>();
    for (String table : List.of("net/tcp", "net/tcp6")) {
      Path file = proc.resolve(table);
      if (!Files.isReadable(file)) {
        continue;
      }
      List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
      for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
        String[] fields = line.trim().split("\\s+");
        if (fields.length < 10 || !fields[3].equals(LISTEN)) {
          continue;
        }
        int colon = fields[1].indexOf(':');
        if (colon < 0
            || Integer.parseInt(fields[1].substring(colon + 1), 16) != address.getPort()) {
          continue;
        }
        InetAddress local = address(fields[1].substring(0, colon));
        if (conflicts(local, address.getAddress())) {
          inodes.add(fields[9]);
        }
      }
    }
    inodes.remove("0");
    return inodes;
  }

  /**
   * Whether a socket listening on {@code held} keeps {@code wanted} (null: every address) from
   * being bound on the same port: the same address, or either of them every address.
   */
  private static boolean conflicts(InetAddress held, InetAddress wanted) {
    if (wanted == null || wanted.isAnyLocalAddress() || held.isAnyLocalAddress()) {
      return true;
    }
    return held.equals(wanted);
  }

  /**
   * An address as net/tcp prints it: the bytes of each 32-bit word in the machine's order, so
   * reversed on a little-endian machine ({@code 0100007F} is 127.0.0.1).
   */
  private static InetAddress address(String hex) throws UnknownHostException {
    byte[] bytes = new byte[hex.length() / 2];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
    }
    if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
      for (int word = 0; word < bytes.length; word += 4) {
        for (int i = 0; i < 2; i++) {
          byte b = bytes[word + i];
          bytes[word + i] = bytes[word + 3 - i];
          bytes[word + 3 - i] = b;
        }
      }
    }
    // An IPv4-mapped IPv6 address (::ffff:127.0.0.1) comes back as the IPv4 address.
    return InetAddress.getByAddress(bytes);
  }

  /** The first process with a descriptor on one of the sockets. */
  private Optional<String> owner(Set<String> inodes) throws IOException {
    Set<String> links = new HashSet<>();
    inodes.forEach(inode -> links.add("socket:[" + inode + "]"));
    try (DirectoryStream<Path> processes = Files.newDirectoryStream(proc, "[0-9]*")) {
      for (Path process : processes) {
        if (holds(process.resolve("fd"), links)) {
          String pid = process.getFileName().toString();
          if (pid.equals(Long.toString(ProcessHandle.current().pid()))) {
            // Two listeners of one config that overlap (":8080" and "127.0.0.1:8080").
            return Optional.of("another listener of this berth");
          }
          return Optional.of(name(process).map(name -> name + ", ").orElse("") + "pid " + pid);
        }
      }
    }
    return Optional.empty();
  }

  private static boolean holds(Path fds, Set<String> links) {
    // Processes come and go while this looks, and another user's are closed to it: skip those.
    try (DirectoryStream<Path> descriptors = Files.newDirectoryStream(fds)) {
      for (Path fd : descriptors) {
        try {
          if (links.contains(Files.readSymbolicLink(fd).toString())) {
            return true;
          }
        } catch (IOException | UnsupportedOperationException e) {
          // gone, or not a link
        }
      }
    } catch (IOException | UncheckedIOException e) {
      return false;
    }
    return false;
  }

  private static Optional<String> name(Path process) {
    try {
      String comm = Files.readString(process.resolve("comm"), StandardCharsets.UTF_8).strip();
      return comm.isEmpty() ? Optional.empty() : Optional.of(comm);
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
