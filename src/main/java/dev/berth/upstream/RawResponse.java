package dev.berth.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.util.ReferenceCountUtil;

/**
 * An app's response head taken as bytes, not decoded into Netty's objects: its status line and the
 * fields that go on to the client, copied as the app wrote them, hop-by-hop ones left out. The
 * blank line that ends a head is not there yet: the edge adds its own Connection field first.
 * Its body follows as {@link RawBody} pieces, the last one marked, unless the response is
 * {@linkplain #whole() whole}: a small body that came in the same read travels with the head, so
 * that the client gets the response as one buffer (one send, not a vectored write of two).
 */
public final class RawResponse extends DefaultByteBufHolder {

  private final int status;
  private final boolean keepAlive;
  private final long bodyLength;
  private boolean whole;
  /** The body of a whole response, until the encoder takes it; null when it has none. */
  private ByteBuf body;
  private boolean closing;

  RawResponse(ByteBuf head, int status, boolean keepAlive, long bodyLength) {
    super(head);
    this.status = status;
    this.keepAlive = keepAlive;
    this.bodyLength = bodyLength;
  }

  public int status() {
    return status;
  }

  /** How many body bytes follow the head (none for a bodyless response). */
  public long bodyLength() {
    return bodyLength;
  }

  /** The response ends here: {@code body} (null for none) is all of its body. */
  void whole(ByteBuf body) {
    this.whole = true;
    this.body = body;
  }

  /** Whether this message is the whole response, body included: no {@link RawBody} follows. */
  public boolean whole() {
    return whole;
  }

  /** The body of a whole response, now the caller's to release; null when it has none. */
  public ByteBuf takeBody() {
    ByteBuf taken = body;
    body = null;
    return taken;
  }

  /** Whether the app keeps the connection open after this response. */
  public boolean keepAlive() {
    return keepAlive;
  }

  /** The client connection closes after this response (berth drains). */
  public void closeClientConnection() {
    closing = true;
  }

  public boolean closesClientConnection() {
    return closing;
  }

  // A response dropped unwritten (its exchange was over) takes its body with it.
  @Override
  public boolean release() {
    return release(1);
  }

  @Override
  public boolean release(int decrement) {
    boolean released = super.release(decrement);
    if (released) {
      ReferenceCountUtil.release(takeBody());
    }
    return released;
  }
}
