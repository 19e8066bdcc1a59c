package dev.berth.acme;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which names can have a certificate ordered, and why the others cannot. */
class HostNamesTest {

  @Test
  void dnsNamesCanBeOrdered() {
    assertThat(HostNames.problem("example.com")).isNull();
    assertThat(HostNames.problem("www.my-site.example")).isNull();
  }

  @Test
  void wildcardsNeedADnsProvider() {
    assertThat(HostNames.problem("*.example.com")).contains("dns-01").contains("not supported");
  }

  @Test
  void addressesAndOtherTextAreNotNames() {
    assertThat(HostNames.problem("192.0.2.1")).contains("IP address");
    assertThat(HostNames.problem("::1")).contains("IP address");
    assertThat(HostNames.problem("../etc")).isEqualTo("not a DNS name");
    assertThat(HostNames.problem("a..b")).isEqualTo("not a DNS name");
    assertThat(HostNames.problem("-a.example")).isEqualTo("not a DNS name");
    assertThat(HostNames.problem("")).isEqualTo("not a DNS name");
  }
}
