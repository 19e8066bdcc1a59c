package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {

  @Test
  void parsesBlocksAndBareAddresses() {
    assertThat(Cidr.parse("10.0.0.0/8").network()).containsExactly(10, 0, 0, 0);
    assertThat(Cidr.parse("10.0.0.0/8").prefixLength()).isEqualTo(8);
    assertThat(Cidr.parse("10.0.0.0/8")).hasToString("10.0.0.0/8");
    assertThat(Cidr.parse("127.0.0.1")).hasToString("127.0.0.1/32");
    assertThat(Cidr.parse("0.0.0.0/0")).hasToString("0.0.0.0/0");
    assertThat(Cidr.parse("::1")).hasToString("0:0:0:0:0:0:0:1/128");
    assertThat(Cidr.parse("fd00::/8")).hasToString("fd00:0:0:0:0:0:0:0/8");
    assertThat(Cidr.parse("2001:DB8::/32")).isEqualTo(Cidr.parse("2001:db8::/32"));
    assertThat(Cidr.parse("::/0").network()).hasSize(16);
  }

  @Test
  void equalityIsByValue() {
    assertThat(Cidr.parse("10.0.0.0/8"))
        .isEqualTo(new Cidr(new byte[] {10, 0, 0, 0}, 8))
        .hasSameHashCodeAs(new Cidr(new byte[] {10, 0, 0, 0}, 8))
        .isNotEqualTo(Cidr.parse("10.0.0.0/9"))
        .isNotEqualTo(Cidr.parse("11.0.0.0/8"));
  }

  @Test
  void keepsItsOwnCopyOfTheNetwork() {
    byte[] network = {10, 0, 0, 0};
    Cidr cidr = new Cidr(network, 8);
    network[0] = 11;

    assertThat(cidr.contains(ip("10.1.2.3"))).isTrue();
    assertThat(cidr.contains(ip("11.1.2.3"))).isFalse();
    cidr.network()[0] = 11;
    assertThat(cidr.contains(ip("10.1.2.3"))).isTrue();
    assertThat(cidr).hasToString("10.0.0.0/8");
  }

  @ParameterizedTest
  @CsvSource({
    // /0: everything IPv4
    "0.0.0.0/0, 0.0.0.0, true",
    "0.0.0.0/0, 255.255.255.255, true",
    "0.0.0.0/0, 10.1.2.3, true",
    // /8: the first and last address and the ones just outside
    "10.0.0.0/8, 10.0.0.0, true",
    "10.0.0.0/8, 10.255.255.255, true",
    "10.0.0.0/8, 9.255.255.255, false",
    "10.0.0.0/8, 11.0.0.0, false",
    // /32 and a bare address: only that address
    "192.168.1.7/32, 192.168.1.7, true",
    "192.168.1.7/32, 192.168.1.6, false",
    "192.168.1.7/32, 192.168.1.8, false",
    "192.168.1.7, 192.168.1.7, true",
    "192.168.1.7, 192.168.1.70, false",
    // /31: two addresses, the mask cuts inside the last byte
    "192.168.1.4/31, 192.168.1.4, true",
    "192.168.1.4/31, 192.168.1.5, true",
    "192.168.1.4/31, 192.168.1.3, false",
    "192.168.1.4/31, 192.168.1.6, false",
    // /20: not byte-aligned, 172.16.0.0 to 172.16.15.255
    "172.16.0.0/20, 172.16.0.0, true",
    "172.16.0.0/20, 172.16.15.255, true",
    "172.16.0.0/20, 172.16.16.0, false",
    "172.16.0.0/20, 172.15.255.255, false",
    "172.16.0.0/20, 172.144.0.1, false",
    // Host bits below the prefix do not matter.
    "172.16.5.9/20, 172.16.0.1, true",
    "172.16.5.9/20, 172.16.16.1, false",
    // IPv6 /128, ::1 and /64
    "2001:db8::1/128, 2001:db8::1, true",
    "2001:db8::1/128, 2001:db8::2, false",
    "::1, ::1, true",
    "::1, ::2, false",
    "::1, ::, false",
    "2001:db8:0:1::/64, 2001:db8:0:1::, true",
    "2001:db8:0:1::/64, 2001:db8:0:1:ffff:ffff:ffff:ffff, true",
    "2001:db8:0:1::/64, 2001:db8:0:2::, false",
    "2001:db8:0:1::/64, 2001:db8:0:0:ffff:ffff:ffff:ffff, false",
    "fd00::/8, fdff:1::1, true",
    "fd00::/8, fc00::1, false",
    "::/0, 2001:db8::1, true",
    // IPv4 and IPv6 never match each other, not even /0.
    "0.0.0.0/0, ::1, false",
    "0.0.0.0/0, ::, false",
    "::/0, 127.0.0.1, false",
    "::/0, 0.0.0.0, false",
    "127.0.0.1, ::1, false",
    "::1, 127.0.0.1, false",
    // An IPv4-mapped IPv6 address is an IPv4 address to Java, on both sides.
    "::ffff:10.0.0.1, 10.0.0.1, true",
    "10.0.0.0/8, ::ffff:10.0.0.1, true",
  })
  void contains(String cidr, String address, boolean expected) {
    assertThat(Cidr.parse(cidr).contains(ip(address))).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "10.0.0.0/33      | prefix length must be 0..32",
        "10.0.0.0/-1      | prefix length must be 0..32",
        "::1/129          | prefix length must be 0..128",
        "10.0.0.0/        | 'not a prefix length: '",
        "10.0.0.0/x       | not a prefix length: x",
        "10.0.0.0/8/8     | not a prefix length: 8/8",
        "::1/ 64          | 'not a prefix length:  64'",
        "example.com      | not an IP address: example.com",
        "example.com/8    | not an IP address: example.com",
        "localhost        | not an IP address: localhost",
        "''               | 'not an IP address: '",
        "/8               | 'not an IP address: '",
        "' 10.0.0.1'      | 'not an IP address:  10.0.0.1'",
        "fe80::1%eth0     | not an IP address: fe80::1%eth0",
        "[::1]            | not an IP address: [::1]",
        "[::1]/128        | not an IP address: [::1]",
        ":::              | not an IP address: :::",
        "::g              | not an IP address: ::g",
        "1:2:3:4:5:6:7:8:9 | not an IP address: 1:2:3:4:5:6:7:8:9",
        // Only dotted quads with decimal bytes: shorter forms, octal-looking bytes and anything
        // out of range are mistakes, and must never be looked up as host names.
        "10               | not an IP address: 10",
        "10/8             | not an IP address: 10",
        "1.2.3            | not an IP address: 1.2.3",
        "010.0.0.1        | not an IP address: 010.0.0.1",
        "0x0a.0.0.1       | not an IP address: 0x0a.0.0.1",
        "999.1.1.1        | not an IP address: 999.1.1.1",
        "10.0.0.256       | not an IP address: 10.0.0.256",
        "1.2.3.4.5        | not an IP address: 1.2.3.4.5",
        "1..2.3           | not an IP address: 1..2.3",
        "1.2.3.4.         | not an IP address: 1.2.3.4.",
        ".                | not an IP address: .",
      })
  void rejects(String text, String message) {
    assertThatThrownBy(() -> Cidr.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "0.0.0.0",
        "255.255.255.255",
        "10.0.0.0/0",
        "100.64.0.0/10",
        "::",
        "::/0",
        "2001:db8::1:2:3:4:5",
        "1:2:3:4:5:6:7:8/128",
        "::192.0.2.1"
      })
  void accepts(String text) {
    assertThat(Cidr.parse(text)).isNotNull();
  }

  private static InetAddress ip(String literal) {
    try {
      // Literals only: this never looks a name up.
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
