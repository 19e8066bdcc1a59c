package dev.berth.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The ALPN list read from a ClientHello body; short or garbage input gives none, never throws. */
class ClientHelloTest {

  /** A ClientHello body (from client_version on) with an SNI and an ALPN extension. */
  private static ByteBuf hello(List<String> protocols) {
    ByteBuf b = Unpooled.buffer();
    b.writeShort(0x0303).writeBytes(new byte[32]); // version, random
    b.writeByte(0); // session id
    b.writeShort(2).writeShort(0x1301); // one cipher suite
    b.writeByte(1).writeByte(0); // null compression
    ByteBuf extensions = Unpooled.buffer();
    byte[] name = "a.test".getBytes(StandardCharsets.US_ASCII);
    extensions.writeShort(0).writeShort(name.length + 5); // server_name
    extensions.writeShort(name.length + 3).writeByte(0).writeShort(name.length).writeBytes(name);
    ByteBuf list = Unpooled.buffer();
    for (String p : protocols) {
      list.writeByte(p.length()).writeBytes(p.getBytes(StandardCharsets.US_ASCII));
    }
    extensions.writeShort(16).writeShort(list.readableBytes() + 2);
    extensions.writeShort(list.readableBytes()).writeBytes(list);
    b.writeShort(extensions.readableBytes()).writeBytes(extensions);
    return b;
  }

  @Test
  void readsTheOfferedProtocolsInOrder() {
    assertThat(ClientHello.alpn(hello(List.of("acme-tls/1")))).containsExactly("acme-tls/1");
    assertThat(ClientHello.alpn(hello(List.of("h2", "http/1.1"))))
        .containsExactly("h2", "http/1.1");
    assertThat(ClientHello.alpn(null)).isEmpty();
  }

  @Test
  void aCutOrGarbledHelloGivesNoneAndNeverThrows() {
    ByteBuf whole = hello(List.of("h2", "acme-tls/1"));
    for (int length = 0; length < whole.readableBytes(); length++) {
      assertThat(ClientHello.alpn(whole.slice(0, length))).doesNotContain("acme-tls/1");
    }
    Random random = new Random(23);
    for (int i = 0; i < 5_000; i++) {
      byte[] bytes = new byte[random.nextInt(300)];
      random.nextBytes(bytes);
      ClientHello.alpn(Unpooled.wrappedBuffer(bytes));
      ByteBuf mutated = whole.copy();
      mutated.setByte(random.nextInt(mutated.readableBytes()), random.nextInt(256));
      ClientHello.alpn(mutated);
    }
  }
}
