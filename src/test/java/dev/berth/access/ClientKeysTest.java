package dev.berth.access;

import static dev.berth.access.GateTest.address;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.Cidr;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClientKeysTest {

  private static final List<Cidr> TRUSTED = List.of(Cidr.parse("10.0.0.0/8"));

  @Test
  void thePeerUnlessItIsTrusted() {
    assertThat(ClientKeys.client(address("192.0.2.1"), "198.51.100.1", TRUSTED))
        .isEqualTo(address("192.0.2.1"));
    assertThat(ClientKeys.client(address("10.0.0.1"), null, TRUSTED))
        .isEqualTo(address("10.0.0.1"));
    assertThat(ClientKeys.client(address("10.0.0.1"), " 198.51.100.1 ,10.0.0.2", TRUSTED))
        .isEqualTo(address("198.51.100.1"));
    assertThat(ClientKeys.client(address("10.0.0.1"), "[2001:db8::1]", TRUSTED))
        .isEqualTo(address("2001:db8::1"));
    // Garbage stops the walk at the last address that parsed.
    assertThat(ClientKeys.client(address("10.0.0.1"), "198.51.100.1, unknown, 10.0.0.2", TRUSTED))
        .isEqualTo(address("10.0.0.2"));
    assertThat(ClientKeys.client(address("10.0.0.1"), "example.com", TRUSTED))
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
