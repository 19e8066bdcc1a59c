package dev.berth.edge;

import io.netty.buffer.ByteBuf;

/**
 * Where the WebSocket frames (RFC 6455 5.2) of one direction of a tunnel begin and end, tracked
 * from their headers alone: a payload is skipped by its length, never read. A close frame that
 * berth adds to the stream must go at a boundary, or it would land inside a frame and corrupt it.
 *
 * <p>It also counts the close frames that passed, so that a tunnel going away knows when a side
 * answered its close frame with its own.
 */
final class FrameBoundaries {

  /** The longest header: 2 bytes, a 64-bit length, a 4-byte mask. */
  private static final int MAX_HEADER = 14;

  private static final int OPCODE_CLOSE = 0x8;

  private final byte[] header = new byte[MAX_HEADER];

  /** Header bytes read of the frame being read; 0 between frames and within a payload. */
  private int headerHave;

  /** How long the header being read is, once its second byte says. */
  private int headerNeed = 2;

  /** Payload bytes of the current frame still to come. */
  private long payloadLeft;

  private int opcode;
  private int closeFrames;

  /** Whether the next byte begins a frame. */
  boolean atBoundary() {
    return headerHave == 0 && payloadLeft == 0;
  }

  /** Close frames that ended in the bytes seen so far. */
  int closeFrames() {
    return closeFrames;
  }

  /** Moves over all of {@code buf}'s readable bytes (its reader index stays). */
  void advance(ByteBuf buf) {
    advance(buf, buf.readerIndex(), buf.readableBytes(), false);
  }

  /**
   * Moves over {@code buf}'s readable bytes up to the end of the current frame: returns how many it
   * took, 0 when at a boundary already, all of them when the frame goes on past them ({@link
   * #atBoundary} then says false).
   */
  int untilBoundary(ByteBuf buf) {
    if (atBoundary()) {
      return 0;
    }
    return advance(buf, buf.readerIndex(), buf.readableBytes(), true);
  }

  private int advance(ByteBuf buf, int index, int length, boolean stopAtBoundary) {
    int p = index;
    int end = index + length;
    while (p < end) {
      if (payloadLeft > 0) {
        int n = (int) Math.min(payloadLeft, end - p);
        p += n;
        payloadLeft -= n;
        if (payloadLeft == 0) {
          frameEnded();
          if (stopAtBoundary) {
            break;
          }
        }
        continue;
      }
      header[headerHave++] = buf.getByte(p++);
      if (headerHave == 2) {
        int length7 = header[1] & 0x7f;
        headerNeed =
            2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + ((header[1] & 0x80) != 0 ? 4 : 0);
      }
      if (headerHave >= 2 && headerHave == headerNeed) {
        opcode = header[0] & 0x0f;
        payloadLeft = payloadLength();
        headerHave = 0;
        headerNeed = 2;
        if (payloadLeft == 0) {
          frameEnded();
          if (stopAtBoundary) {
            break;
          }
        }
      }
    }
    return p - index;
  }

  private long payloadLength() {
    int length7 = header[1] & 0x7f;
    if (length7 < 126) {
      return length7;
    }
    if (length7 == 126) {
      return ((header[2] & 0xff) << 8) | (header[3] & 0xff);
    }
    long length = 0;
    for (int i = 2; i < 10; i++) {
      length = (length << 8) | (header[i] & 0xff);
    }
    // The most significant bit must be 0 (RFC 6455 5.2); a peer that sets it gets no wrap-around.
    return length & Long.MAX_VALUE;
  }

  private void frameEnded() {
    if (opcode == OPCODE_CLOSE) {
      closeFrames++;
    }
  }
}
