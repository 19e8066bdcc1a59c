package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** How the readiness probe reads the status line of an answer. */
class ReadinessProbeTest {

  private static ByteBuffer read(String bytes, int capacity) {
    ByteBuffer buffer = ByteBuffer.allocate(capacity);
    buffer.put(bytes.getBytes(StandardCharsets.ISO_8859_1));
    return buffer;
  }

  @Test
  void theStatusLineIsWholeAtItsLineEnd() {
    assertThat(ReadinessProbe.statusLine(read("HTTP/1.1 500 Internal Ser", 256), false)).isNull();
    assertThat(
            ReadinessProbe.statusLine(
                read("HTTP/1.1 500 Internal Server Error\r\nServer", 256), false))
        .isEqualTo("HTTP/1.1 500 Internal Server Error");
    assertThat(ReadinessProbe.statusLine(read("HTTP/1.0 200 OK", 256), true))
        .isEqualTo("HTTP/1.0 200 OK");
    assertThat(ReadinessProbe.statusLine(read("", 256), true)).isNull();
    assertThat(ReadinessProbe.statusLine(read("HTTP/1.1 200 a v", 16), false))
        .isEqualTo("HTTP/1.1 200 a v");
  }

  @Test
  void theStatusIsTheCodeOfAnHttpStatusLine() {
    assertThat(ReadinessProbe.status("HTTP/1.1 500 Internal Server Error")).isEqualTo(500);
    assertThat(ReadinessProbe.status("HTTP/1.0 204")).isEqualTo(204);
    assertThat(ReadinessProbe.status("HTTP/1.1 20x OK")).isEqualTo(-1);
    assertThat(ReadinessProbe.status("HTTP/1.1 2000 OK")).isEqualTo(-1);
    assertThat(ReadinessProbe.status("SSH-2.0-OpenSSH_9.2")).isEqualTo(-1);
    assertThat(ReadinessProbe.status("")).isEqualTo(-1);
  }
}
