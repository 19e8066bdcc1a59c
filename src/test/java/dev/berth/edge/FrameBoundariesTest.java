package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameBoundariesTest {

  /** A frame: FIN and opcode, payload length in 7, 16 or 64 bits, masked or not. */
  private static byte[] frame(int opcode, int length, boolean masked) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0x80 | opcode);
    int mask = masked ? 0x80 : 0;
    if (length < 126) {
      out.write(mask | length);
    } else if (length < 65536) {
      out.write(mask | 126);
      out.write(length >>> 8);
      out.write(length & 0xff);
    } else {
      out.write(mask | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.write((int) (((long) length >>> shift) & 0xff));
      }
    }
    if (masked) {
      out.writeBytes(new byte[] {1, 2, 3, 4});
    }
    out.writeBytes(new byte[length]);
    return out.toByteArray();
  }

  @Test
  void findsEveryFrameEndWhateverTheReadsCutTheStreamInto() {
    List<byte[]> frames =
        List.of(
            frame(0x1, 5, false),
            frame(0x2, 0, true),
            frame(0x2, 300, true),
            frame(0x9, 0, false),
            frame(0x1, 70_000, false),
            frame(0x8, 2, true));
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    List<Integer> ends = new ArrayList<>();
    for (byte[] f : frames) {
      all.writeBytes(f);
      ends.add(all.size());
    }
    byte[] stream = all.toByteArray();
    for (int piece : new int[] {1, 2, 3, 7, 13, 1000, stream.length}) {
      FrameBoundaries frames2 = new FrameBoundaries();
      List<Integer> found = new ArrayList<>();
      int at = 0;
      while (at < stream.length) {
        ByteBuf buf = Unpooled.wrappedBuffer(stream, at, Math.min(piece, stream.length - at));
        // Frame by frame, as a tunnel going away reads.
        while (buf.isReadable()) {
          int n = frames2.untilBoundary(buf);
          if (n == 0) {
            n = 1;
            frames2.advance(buf.slice(buf.readerIndex(), 1));
          }
          buf.skipBytes(n);
          if (frames2.atBoundary()) {
            found.add(at + buf.readerIndex());
          }
        }
        at += piece;
      }
      assertThat(found).as("read in pieces of %d", piece).containsExactlyElementsOf(ends);
      assertThat(frames2.closeFrames()).isEqualTo(1);
    }
  }

  @Test
  void advanceLeavesTheReaderIndexAndKnowsWhenAFrameIsHalfThrough() {
    FrameBoundaries frames = new FrameBoundaries();
    assertThat(frames.atBoundary()).isTrue();
    byte[] text = frame(0x1, 200, false);
    ByteBuf first = Unpooled.wrappedBuffer(text, 0, 3);
    frames.advance(first);
    assertThat(first.readerIndex()).isZero();
    assertThat(frames.atBoundary()).isFalse();
    ByteBuf rest = Unpooled.wrappedBuffer(text, 3, text.length - 3);
    assertThat(frames.untilBoundary(rest)).isEqualTo(text.length - 3);
    assertThat(frames.atBoundary()).isTrue();
    assertThat(frames.untilBoundary(Unpooled.wrappedBuffer(frame(0x1, 1, false)))).isZero();
  }
}
