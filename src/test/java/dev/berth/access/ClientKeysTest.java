package dev.berth.access;

import static dev.berth.access.GateTest.address;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.Cidr;
import dev.berth.config.TrustedProxies;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClientKeysTest {

  private static final TrustedProxies TRUSTED =
      TrustedProxies.of(List.of(Cidr.parse("10.0.0.0/8")));

  @Test
  void thePeerUnlessItIsTrusted() {
    assertThat(ClientKeys.client(address("192.0.2.1"), false, "198.51.100.1", TRUSTED))
        .isEqualTo(address("192.0.2.1"));
    assertThat(ClientKeys.client(address("10.0.0.1"), false, null, TRUSTED))
        .isEqualTo(address("10.0.0.1"));
    assertThat(ClientKeys.client(address("10.0.0.1"), false, " 198.51.100.1 ,10.0.0.2", TRUSTED))
        .isEqualTo(address("198.51.100.1"));
    assertThat(ClientKeys.client(address("10.0.0.1"), false, "[2001:db8::1]", TRUSTED))
        .isEqualTo(address("2001:db8::1"));
    // Garbage stops the walk at the last address that parsed.
    assertThat(
            ClientKeys.client(
                address("10.0.0.1"), false, "198.51.100.1, unknown, 10.0.0.2", TRUSTED))
        .isEqualTo(address("10.0.0.2"));
    assertThat(ClientKeys.client(address("10.0.0.1"), false, "example.com", TRUSTED))
        .isEqualTo(address("10.0.0.1"));
  }

  @Test
  void aUnixSocketPeerIsTrustedOnlyByUnixAndHasNoAddressOfItsOwn() {
    TrustedProxies unix = new TrustedProxies(List.of(Cidr.parse("127.0.0.1")), true);
    // Trusted: the chain's last untrusted address, over trusted hops (Apache on 127.0.0.1).
    assertThat(ClientKeys.client(null, true, "198.51.100.1", unix))
        .isEqualTo(address("198.51.100.1"));
    assertThat(ClientKeys.client(null, true, "192.0.2.9, 198.51.100.1, 127.0.0.1", unix))
        .isEqualTo(address("198.51.100.1"));
    // No chain, or one that does not parse: nobody to tell.
    assertThat(ClientKeys.client(null, true, null, unix)).isNull();
    assertThat(ClientKeys.client(null, true, "unknown", unix)).isNull();
    // Not trusted without "unix:", whatever its blocks; nor is a TCP peer by "unix:" alone.
    assertThat(ClientKeys.client(null, true, "198.51.100.1", TRUSTED)).isNull();
    assertThat(
            ClientKeys.client(
                address("10.0.0.1"), false, "198.51.100.1", new TrustedProxies(List.of(), true)))
        .isEqualTo(address("10.0.0.1"));
  }

  @Test
  void anIpv6ClientCountsByItsSlash64() {
    assertThat(ClientKeys.rateKey(address("2001:db8:1:2::1")))
        .isEqualTo(ClientKeys.rateKey(address("2001:db8:1:2:ffff::9")))
        .isNotEqualTo(ClientKeys.rateKey(address("2001:db8:1:3::1")));
    assertThat(ClientKeys.rateKey(address("192.0.2.1")))
        .isNotEqualTo(ClientKeys.rateKey(address("192.0.2.2")))
        .isNotEqualTo(ClientKeys.rateKey(address("::")));
  }
}
