package dev.berth.edge;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelOutboundBuffer;

/**
 * Whether a connection's bytes for its socket move, from looks at its outbound buffer on a beat.
 *
 * <p>Not whether the channel is writable: a download that fills a slow client's link keeps the
 * channel unwritable most of the time while every byte moves, and a stuck one may stay just under
 * the high-water mark, writable. Nothing moved between two looks when the first message waiting is
 * the same, with as many bytes left (a partial write moves its reader index), and so is the total
 * waiting.
 */
final class SendProgress {

  /** The first message waiting at the last look, compared by identity only; null when none. */
  private Object head;

  private long headBytes;
  private long pending;
  private long stuckSince = -1;

  /**
   * How long the bytes in {@code out} have not moved, as of {@code now}: 0 when nothing waits, or
   * something moved since the last look.
   */
  long stuckFor(ChannelOutboundBuffer out, long now) {
    Object current = out == null ? null : out.current();
    if (current == null) {
      forget();
      return 0;
    }
    long currentBytes = readable(current);
    long currentPending = out.totalPendingWriteBytes();
    boolean same = current == head && currentBytes == headBytes && currentPending == pending;
    head = current;
    headBytes = currentBytes;
    pending = currentPending;
    if (!same) {
      stuckSince = now;
      return 0;
    }
    return now - stuckSince;
  }

  private void forget() {
    head = null;
    stuckSince = -1;
  }

  private static long readable(Object message) {
    if (message instanceof ByteBuf buf) {
      return buf.readableBytes();
    }
    if (message instanceof ByteBufHolder holder) {
      return holder.content().readableBytes();
    }
    return -1;
  }
}
