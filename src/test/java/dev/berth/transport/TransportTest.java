package dev.berth.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.berth.config.EdgeSettings.IoTransport;
import io.netty.channel.Channel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDomainSocketChannel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TransportTest {

  @Test
  void ioUringReachesAnAppsUnixSocketThroughNettysOwnChannel() {
    assumeThat(IoUring.isAvailable()).as("io_uring loads here").isTrue();
    Transport transport = Transport.of(IoTransport.IO_URING);
    Channel channel =
        transport.clientChannel(transport.unixAddress(Path.of("/run/app.sock"))).newChannel();
    try {
      assertThat(channel).isInstanceOf(IoUringDomainSocketChannel.class);
    } finally {
      channel.unsafe().closeForcibly();
    }
  }
}
