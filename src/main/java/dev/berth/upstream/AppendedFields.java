package dev.berth.upstream;

import io.netty.buffer.ByteBuf;

/**
 * A request head with fields that are not in its header map: the upstream encoder writes them after
 * the map's. The edge's forwarding fields travel this way, so they are not added to the client's
 * map (with its checks and hashing) only to be encoded from it again.
 */
public interface AppendedFields {

  /** Writes the fields as header lines, each ending in CRLF. */
  void appendFields(ByteBuf out);
}
