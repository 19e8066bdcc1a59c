package dev.berth.tls;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What berth reads of a TLS ClientHello besides the name (Netty reads that): the protocols it
 * offers by ALPN (RFC 7301), so that a TLS-ALPN-01 validation gets its challenge certificate.
 */
final class ClientHello {

  private static final int ALPN_EXTENSION = 16;

  private ClientHello() {}

  /**
   * The ALPN protocols offered, in order; empty when none (or the message is cut short).
   *
   * @param hello the ClientHello body as Netty's SNI handler hands it over: from client_version on
   *     (RFC 8446 4.1.2), unread
   */
  static List<String> alpn(ByteBuf hello) {
    List<String> protocols = new ArrayList<>();
    if (hello == null) {
      return protocols;
    }
    int at = hello.readerIndex();
    int end = hello.writerIndex();
    // client_version and random.
    at += 2 + 32;
    if (at + 1 > end) {
      return protocols;
    }
    at += 1 + hello.getUnsignedByte(at); // session id
    if (at + 2 > end) {
      return protocols;
    }
    at += 2 + hello.getUnsignedShort(at); // cipher suites
    if (at + 1 > end) {
      return protocols;
    }
    at += 1 + hello.getUnsignedByte(at); // compression methods
    if (at + 2 > end) {
      return protocols;
    }
    int extensionsEnd = Math.min(end, at + 2 + hello.getUnsignedShort(at));
    at += 2;
    while (at + 4 <= extensionsEnd) {
      int type = hello.getUnsignedShort(at);
      int length = hello.getUnsignedShort(at + 2);
      at += 4;
      if (at + length > extensionsEnd) {
        return protocols;
      }
      if (type == ALPN_EXTENSION && length >= 2) {
        int listEnd = Math.min(at + length, at + 2 + hello.getUnsignedShort(at));
        int p = at + 2;
        while (p < listEnd) {
          int n = hello.getUnsignedByte(p);
          if (p + 1 + n > listEnd) {
            break;
          }
          protocols.add(hello.toString(p + 1, n, StandardCharsets.US_ASCII));
          p += 1 + n;
        }
        return protocols;
      }
      at += length;
    }
    return protocols;
  }
}
