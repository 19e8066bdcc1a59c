package dev.berth.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * What the upstream encoder writes for a head with a sliced target and appended fields, and for a
 * plain one.
 */
class RequestEncoderTest {

  /** A head whose target is "/rest?q" of "/mount/rest?q", with one field after its map. */
  private static final class Sliced extends DefaultHttpRequest
      implements SlicedTarget, AppendedFields {
    Sliced() {
      super(HttpVersion.HTTP_1_1, HttpMethod.POST, "/mount/rest?q");
      headers().set("Host", "example.com");
    }

    @Override
    public void writeTarget(ByteBuf out) {
      ByteBufUtil.writeUtf8(out, uri(), "/mount".length(), uri().length());
    }

    @Override
    public void appendFields(ByteBuf out) {
      out.writeCharSequence("X-Forwarded-Proto: http\r\n", StandardCharsets.US_ASCII);
    }
  }

  @Test
  void aSlicedTargetIsWrittenFromItsSliceAndAppendedFieldsAfterTheMap() {
    assertThat(encode(new Sliced()))
        .isEqualTo("POST /rest?q HTTP/1.1\r\nHost: example.com\r\nX-Forwarded-Proto: http\r\n\r\n");
  }

  @Test
  void aPlainHeadIsWrittenAsNettyWritesIt() {
    DefaultHttpRequest plain = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/a?b");
    plain.headers().set("Host", "example.com");
    assertThat(encode(plain)).isEqualTo("GET /a?b HTTP/1.1\r\nHost: example.com\r\n\r\n");
  }

  private static String encode(Object head) {
    EmbeddedChannel channel = new EmbeddedChannel(new RequestEncoder());
    try {
      channel.writeOutbound(head);
      StringBuilder written = new StringBuilder();
      for (ByteBuf out; (out = channel.readOutbound()) != null; out.release()) {
        written.append(out.toString(StandardCharsets.UTF_8));
      }
      return written.toString();
    } finally {
      channel.finishAndReleaseAll();
    }
  }
}
