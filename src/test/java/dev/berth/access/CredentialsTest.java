package dev.berth.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CredentialsTest {

  @Test
  void readsBasicCredentials() {
    Credentials c = Credentials.parse(GateTest.basic("alice", "pa:ss wörd"));
    assertThat(c.user()).isEqualTo("alice");
    assertThat(new String(c.password(), StandardCharsets.UTF_8)).isEqualTo("pa:ss wörd");
    assertThat(Credentials.parse("basic " + GateTest.basic("a", "b").substring(6)).user())
        .isEqualTo("a");
  }

  @Test
  void anythingElseIsNone() {
    assertThat(Credentials.parse(null)).isNull();
    assertThat(Credentials.parse("Bearer abc")).isNull();
    assertThat(Credentials.parse("Basic !!!")).isNull();
    assertThat(
            Credentials.parse(
                "Basic " + java.util.Base64.getEncoder().encodeToString("nocolon".getBytes())))
        .isNull();
    assertThat(
            Credentials.parse(
                "Basic " + java.util.Base64.getEncoder().encodeToString(":pw".getBytes())))
        .isNull();
    assertThat(Credentials.parse("Basic " + "A".repeat(5000))).isNull();
  }
}
