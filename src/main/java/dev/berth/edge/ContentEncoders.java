package dev.berth.edge;

import dev.berth.config.Compression.Coding;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.compression.Brotli;
import io.netty.handler.codec.compression.BrotliEncoder;
import io.netty.handler.codec.compression.BrotliMode;
import io.netty.handler.codec.compression.JdkZlibEncoder;
import io.netty.handler.codec.compression.StandardCompressionOptions;
import io.netty.handler.codec.compression.ZlibWrapper;
import io.netty.handler.codec.compression.Zstd;
import io.netty.handler.codec.compression.ZstdEncoder;
import java.util.EnumSet;
import java.util.Set;

/**
 * Netty's encoder for each content coding berth applies to app responses, and which of them load on
 * this machine (zstd and br are JNI libraries, shipped for linux-x86_64 only).
 *
 * <p>Levels are those meant for responses made per request, not for files compressed once: zstd 3
 * (its default), brotli 4 (Netty's default, where brotli's speed per ratio is best for dynamic
 * content), gzip 6 (zlib's default). Brotli's window is 256 KiB rather than its 4 MiB default, so
 * that a long stream (Server-Sent Events) holds less memory while it stays open.
 */
final class ContentEncoders {

  private static final System.Logger LOG = System.getLogger(ContentEncoders.class.getName());

  static final int ZSTD_LEVEL = 3;
  static final int BROTLI_QUALITY = 4;
  static final int BROTLI_WINDOW = 18;
  static final int GZIP_LEVEL = 6;

  /**
   * Input compressed into one zstd frame at most; each frame is independent of the others. 16 KiB,
   * not Netty's 64 KiB, so that the encoder's buffers stay within the sizes Netty's adaptive
   * allocator pools: a larger one is a new zeroed direct buffer each time (with berth's heap under
   * 512 MiB, the allocator pools nothing larger than 16.5 KiB), which made a compressed 2 KiB
   * response cost ten times the CPU of one passed through.
   */
  static final int ZSTD_BLOCK = 16 * 1024;

  private static final int ZSTD_MAX_ENCODE = 32 * 1024 * 1024;

  private static final Set<Coding> AVAILABLE = available();

  private ContentEncoders() {}

  /**
   * Loads zstd's and brotli's native libraries, if not done yet: at start, not on an event loop.
   */
  static void load() {
    available(Coding.GZIP);
  }

  /**
   * The whole body of an empty response in this coding. gzip and brotli write theirs when they
   * finish; Netty's zstd encoder writes nothing without input, and an empty body is not a zstd
   * stream.
   */
  static ByteBuf emptyBody(Coding coding) {
    return coding == Coding.ZSTD
        ? Unpooled.wrappedBuffer(com.github.luben.zstd.Zstd.compress(new byte[0], ZSTD_LEVEL))
        : Unpooled.EMPTY_BUFFER;
  }

  /** Whether this coding's encoder loads here; a route's coding that does not is not offered. */
  static boolean available(Coding coding) {
    return AVAILABLE.contains(coding);
  }

  /** A new encoder for one response: ByteBufs in, the coding's bytes out, one piece per write. */
  static ChannelHandler create(Coding coding) {
    return switch (coding) {
      case ZSTD -> new ZstdEncoder(ZSTD_LEVEL, ZSTD_BLOCK, ZSTD_MAX_ENCODE);
      case BR ->
          new BrotliEncoder(
              StandardCompressionOptions.brotli(BROTLI_QUALITY, BROTLI_WINDOW, BrotliMode.TEXT)
                  .parameters(),
              false);
      case GZIP -> new JdkZlibEncoder(ZlibWrapper.GZIP, GZIP_LEVEL);
    };
  }

  private static Set<Coding> available() {
    Set<Coding> codings = EnumSet.of(Coding.GZIP);
    if (Zstd.isAvailable()) {
      codings.add(Coding.ZSTD);
    } else {
      LOG.log(System.Logger.Level.WARNING, "zstd does not load here: not offered", Zstd.cause());
    }
    if (Brotli.isAvailable()) {
      codings.add(Coding.BR);
    } else {
      LOG.log(
          System.Logger.Level.WARNING, "brotli does not load here: not offered", Brotli.cause());
    }
    return codings;
  }
}
