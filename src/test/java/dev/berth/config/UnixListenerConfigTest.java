package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Listeners on unix sockets, their mode and group, and "unix:" among the trusted proxies. */
class UnixListenerConfigTest {

  @TempDir Path dir;
  private Path file;

  @BeforeEach
  void setUp() {
    file = dir.resolve("berth.toml");
  }

  @Test
  void aUnixListenerHasAPathTheDefaultModeAndNoGroup() throws Exception {
    Config config =
        ConfigLoader.parse(file, "[[listeners]]\naddress = \"unix:/srv/alice/../alice/b.sock\"\n");

    Listener listener = config.listeners().get(0);
    assertThat(listener.isUnix()).isTrue();
    assertThat(listener.unix()).isEqualTo(new UnixSocket(Path.of("/srv/alice/b.sock"), 0660, null));
    assertThat(listener.address()).isEqualTo("unix:/srv/alice/b.sock");
    assertThat(listener.url()).isEqualTo("unix:/srv/alice/b.sock");
    assertThat(listener.secure()).isFalse();
  }

  @Test
  void modeAndGroupAreTheListenersOwn() throws Exception {
    Config config =
        ConfigLoader.parse(
            file,
            """
            [[listeners]]
            address = "unix:/srv/alice/berth.sock"
            socket_mode = "0600"
            socket_group = "root"
            http2_cleartext = true

            [[listeners]]
            address = "unix:/srv/alice/other.sock"
            socket_mode = "666"
            """);

    assertThat(config.listeners())
        .containsExactly(
            Listener.unix(
                new UnixSocket(Path.of("/srv/alice/berth.sock"), 0600, "root"),
                ListenerTls.PLAIN,
                true),
            Listener.unix(new UnixSocket(Path.of("/srv/alice/other.sock"), 0666, null)));
    assertThat(config.listeners().get(0).unix().modeText()).isEqualTo("0600");
  }

  @ParameterizedTest
  @ValueSource(strings = {"unix:", "unix:relative.sock", "unix:/", "unix:/srv/dir/"})
  void aUnixAddressIsAnAbsolutePathToAFile(String address) {
    assertThat(problems("[[listeners]]\naddress = \"" + address + "\"\n"))
        .singleElement()
        .asString()
        .startsWith("berth.toml:2: listeners[0].address: \"" + address + "\" (expected: ")
        .contains("\"unix:\" and an absolute path like \"unix:/srv/alice/berth.sock\"");
  }

  @Test
  void aPathTooLongForASocketIsRefusedWithTheLimits() {
    String path = "/srv/" + "d".repeat(90) + "/b.sock";
    assertThat(problems("[[listeners]]\naddress = \"unix:" + path + "\"\n"))
        .singleElement()
        .asString()
        .endsWith(
            "\"unix:"
                + path
                + "\" is too long for a unix socket (at most 107 bytes, and its directory 94))");
  }

  @Test
  void badModesAndGroupsSayWhatIsExpected() {
    String listener = "[[listeners]]\naddress = \"unix:/srv/a/b.sock\"\n";
    String mode = " (expected: an octal mode from \"0000\" to \"0777\" like \"0660\", as a string)";
    assertThat(problems(listener + "socket_mode = \"0860\"\n"))
        .containsExactly("berth.toml:3: listeners[0].socket_mode: \"0860\"" + mode);
    assertThat(problems(listener + "socket_mode = \"4755\"\n"))
        .containsExactly("berth.toml:3: listeners[0].socket_mode: \"4755\"" + mode);
    assertThat(problems(listener + "socket_mode = 660\n"))
        .containsExactly("berth.toml:3: listeners[0].socket_mode: 660" + mode);
    assertThat(problems(listener + "socket_group = \"no-such-group-here\"\n"))
        .containsExactly(
            "berth.toml:3: listeners[0].socket_group: \"no-such-group-here\" (expected: a group"
                + " name or gid known to this host (getent group); no such group)");
  }

  @Test
  void socketKeysOnATcpListenerAreRefused() {
    assertThat(
            problems(
                "[[listeners]]\naddress = \":8080\"\nsocket_mode = \"0600\"\nsocket_group ="
                    + " \"root\"\n"))
        .containsExactly(
            "berth.toml:3: listeners[0].socket_mode: \"0600\" (expected: only on a unix-socket"
                + " listener, address = \"unix:/path\")",
            "berth.toml:4: listeners[0].socket_group: \"root\" (expected: only on a unix-socket"
                + " listener, address = \"unix:/path\")");
  }

  @Test
  void onePathOneListener() {
    assertThat(
            problems(
                "[[listeners]]\naddress = \"unix:/srv/a/b.sock\"\n"
                    + "[[listeners]]\naddress = \"unix:/srv/a/./b.sock\"\n"))
        .containsExactly(
            "berth.toml:4: listeners[1].address: \"unix:/srv/a/./b.sock\" duplicates the listener"
                + " at line 2 (expected: one listener per socket path)");
  }

  @Test
  void unixAmongTheTrustedProxiesTrustsUnixSocketPeers() throws Exception {
    String listener = "[[listeners]]\naddress = \":8080\"\n";
    TrustedProxies trusted =
        ConfigLoader.parse(
                file, listener + "[edge]\ntrusted_proxies = [\"unix:\", \"127.0.0.1\"]\n")
            .edge()
            .trustedProxies();

    assertThat(trusted).isEqualTo(new TrustedProxies(List.of(Cidr.parse("127.0.0.1")), true));
    assertThat(trusted.trustsPeer(null, true)).isTrue();
    assertThat(TrustedProxies.of(trusted.blocks()).trustsPeer(null, true)).isFalse();
    assertThat(problems(listener + "[edge]\ntrusted_proxies = [\"unix:/srv/a/b.sock\"]\n"))
        .containsExactly(
            "berth.toml:4: edge.trusted_proxies: an array (expected: a list of"
                + " addresses or CIDR blocks, and \"unix:\" for unix-socket peers, like"
                + " [\"127.0.0.1\", \"10.0.0.0/8\", \"unix:\"]; \"unix:/srv/a/b.sock\": \"unix:\""
                + " alone stands for every unix-socket peer)");
  }

  private List<String> problems(String toml) {
    try {
      ConfigLoader.parse(file, toml);
      return List.of();
    } catch (ConfigException e) {
      return e.problems();
    }
  }
}
