package dev.berth.control;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Raw access to a control socket, below ControlClient: what any program could send. */
final class Sockets {

  private Sockets() {}

  /** Sends these bytes, then reads every line until the server closes. */
  static List<String> exchange(Path socket, byte[] request) throws IOException {
    try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      ByteBuffer out = ByteBuffer.wrap(request);
      while (out.hasRemaining()) {
        channel.write(out);
      }
      ByteBuffer in = ByteBuffer.allocate(8192);
      StringBuilder text = new StringBuilder();
      try {
        while (channel.read(in) >= 0) {
          in.flip();
          text.append(StandardCharsets.UTF_8.decode(in));
          in.clear();
        }
      } catch (IOException e) {
        // A reset after the reply: the server closed with part of a request unread (oversize).
        if (text.isEmpty()) {
          throw e;
        }
      }
      List<String> lines = new ArrayList<>(List.of(text.toString().split("\n", -1)));
      if (!lines.isEmpty() && lines.getLast().isEmpty()) {
        lines.removeLast();
      }
      return lines;
    }
  }

  static List<String> exchange(Path socket, String request) throws IOException {
    return exchange(socket, request.getBytes(StandardCharsets.UTF_8));
  }

  /** A socket file with nothing listening on it, as a killed daemon leaves it. */
  static void staleSocket(Path socket) throws IOException {
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
    }
    if (!Files.exists(socket)) {
      throw new IllegalStateException("closing the channel removed the socket file");
    }
  }
}
