package dev.berth.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * An app's response head taken as bytes, not decoded into Netty's objects: its status line and the
 * fields that go on to the client, copied as the app wrote them, hop-by-hop ones and Server left
 * out. The blank line that ends a head is not there yet: the edge adds its own Connection and
 * Server fields first. Its body follows as {@link RawBody} pieces, the last one marked.
 */
public final class RawResponse extends DefaultByteBufHolder {

  private final int status;
  private final boolean keepAlive;
  private final long bodyLength;
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
  long bodyLength() {
    return bodyLength;
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
}
