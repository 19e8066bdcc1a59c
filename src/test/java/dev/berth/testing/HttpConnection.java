package dev.berth.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One raw HTTP/1.1 keep-alive connection to berth: requests go one after another on the same
 * socket, so a test can tell whether a connection opened before an operation survives it.
 */
public final class HttpConnection implements AutoCloseable {

  /** A response: status, body, and whether the server said it closes the connection. */
  public record Response(int status, String body, boolean close) {}

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  private HttpConnection(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new BufferedInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** Connects to 127.0.0.1:port (reads time out after 30 s). */
  public static HttpConnection open(int port) throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
    socket.setSoTimeout(30_000);
    return new HttpConnection(socket);
  }

  /** GET {@code path} on this connection, and its whole response. */
  public Response get(String path) throws IOException {
    out.write(
        ("GET " + path + " HTTP/1.1\r\nHost: load.test\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    return read(in);
  }

  /** Whether the server closed the connection: waits up to the read timeout for the end. */
  public boolean closedByServer() {
    try {
      return in.read() == -1;
    } catch (IOException e) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  /**
   * On a new connection to 127.0.0.1:port, sends {@code head}, then {@code size} bytes of body (a
   * multiple of 64 KiB, as 64 KiB chunks when {@code chunked}) from another thread, and returns all
   * the client reads until the server ends the connection: for a server that answers before the
   * body is in. A reset instead of that end fails the read (SocketException), and so the test.
   */
  public static String answerWhileSending(int port, String head, long size, boolean chunked)
      throws IOException, InterruptedException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      Thread sender = Thread.ofPlatform().start(() -> sendBody(out, size, chunked));
      try {
        return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      } finally {
        socket.close();
        sender.join(30_000);
      }
    }
  }

  private static void sendBody(OutputStream out, long size, boolean chunked) {
    byte[] piece = new byte[64 << 10];
    try {
      for (long sent = 0; sent < size; sent += piece.length) {
        if (chunked) {
          out.write("10000\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        out.write(piece);
        if (chunked) {
          out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
      }
      if (chunked) {
        out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      }
    } catch (IOException closed) {
      // The test is over, or the server stopped taking the body: what it answered counts.
    }
  }

  /** Reads one response (Content-Length, chunked, or up to the close). */
  static Response read(InputStream in) throws IOException {
    String statusLine = line(in);
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("not a status line: " + statusLine);
    }
    int status = Integer.parseInt(parts[1]);
    long length = -1;
    boolean chunked = false;
    boolean close = parts[0].equals("HTTP/1.0");
    for (String header = line(in); !header.isEmpty(); header = line(in)) {
      int colon = header.indexOf(':');
      String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = header.substring(colon + 1).trim();
      switch (name) {
        case "content-length" -> length = Long.parseLong(value);
        case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
        case "connection" -> close = value.equalsIgnoreCase("close");
        default -> {}
      }
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if (chunked) {
      while (true) {
        int size = Integer.parseInt(line(in).split(";")[0].trim(), 16);
        if (size == 0) {
          while (!line(in).isEmpty()) {
            // trailers
          }
          break;
        }
        body.write(in.readNBytes(size));
        line(in);
      }
    } else if (length >= 0) {
      byte[] bytes = in.readNBytes((int) length);
      if (bytes.length < length) {
        throw new EOFException("body cut after " + bytes.length + " of " + length + " bytes");
      }
      body.write(bytes);
    } else {
      body.write(in.readAllBytes());
      close = true;
    }
    return new Response(status, body.toString(StandardCharsets.UTF_8), close);
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    while (true) {
      int b = in.read();
      if (b == -1) {
        throw new EOFException(
            "connection closed" + (line.isEmpty() ? "" : " in \"" + line + "\""));
      }
      if (b == '\n') {
        int end = line.length();
        return end > 0 && line.charAt(end - 1) == '\r'
            ? line.substring(0, end - 1)
            : line.toString();
      }
      line.append((char) b);
    }
  }
}
