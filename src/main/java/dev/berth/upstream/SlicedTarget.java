package dev.berth.upstream;

import io.netty.buffer.ByteBuf;

/**
 * A request head whose target is a slice of the client's (a mount's prefix stripped): the upstream
 * encoder writes the slice, so no copy of the target is made for each request.
 */
public interface SlicedTarget {

  /** Writes the request target as it goes upstream: origin form, never empty. */
  void writeTarget(ByteBuf out);
}
