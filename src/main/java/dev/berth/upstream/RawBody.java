package dev.berth.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/** A piece of the body of a {@link RawResponse}, as the app sent it; the last one says so. */
public final class RawBody extends DefaultByteBufHolder {

  private final boolean last;

  RawBody(ByteBuf content, boolean last) {
    super(content);
    this.last = last;
  }

  public boolean last() {
    return last;
  }
}
