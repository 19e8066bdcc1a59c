package dev.berth.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StaticRootTest {

  @TempDir Path tmp;
  private StaticRoot root;

  @BeforeEach
  void setUp() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("www"));
    Files.writeString(dir.resolve("index.html"), "<h1>home</h1>");
    Files.writeString(dir.resolve("a b.txt"), "spaced");
    Files.createDirectories(dir.resolve("docs"));
    Files.writeString(dir.resolve("docs/guide.txt"), "guide");
    Files.createDirectories(dir.resolve("empty"));
    Files.writeString(tmp.resolve("secret.txt"), "secret");
    Files.createSymbolicLink(dir.resolve("out"), tmp.resolve("secret.txt"));
    Files.createSymbolicLink(dir.resolve("inside"), dir.resolve("docs/guide.txt"));
    root = new StaticRoot(dir.toRealPath(), false);
  }

  @Test
  void servesFilesAndIndex() {
    assertThat(root.lookup("/docs/guide.txt"))
        .isEqualTo(new StaticRoot.File(root.root().resolve("docs/guide.txt")));
    assertThat(root.lookup("/")).isEqualTo(new StaticRoot.File(root.root().resolve("index.html")));
    assertThat(root.lookup("")).isInstanceOf(StaticRoot.Redirect.class);
    assertThat(root.lookup("/a%20b.txt"))
        .isEqualTo(new StaticRoot.File(root.root().resolve("a b.txt")));
    assertThat(root.lookup("/inside"))
        .isEqualTo(new StaticRoot.File(root.root().resolve("docs/guide.txt")));
  }

  @Test
  void directoriesWithoutSlashRedirectAndWithoutIndexAreMissing() {
    assertThat(root.lookup("/docs")).isInstanceOf(StaticRoot.Redirect.class);
    assertThat(root.lookup("/empty/")).isInstanceOf(StaticRoot.Missing.class);
    assertThat(root.lookup("/nope.txt")).isInstanceOf(StaticRoot.Missing.class);
    assertThat(root.lookup("/docs/guide.txt/")).isInstanceOf(StaticRoot.Missing.class);
  }

  @Test
  void nothingLeavesTheRoot() {
    for (String attack :
        new String[] {
          "/../secret.txt",
          "/docs/../../secret.txt",
          "/%2e%2e/secret.txt",
          "/%2E%2E%2Fsecret.txt",
          "/..%2fsecret.txt",
          "/..%5csecret.txt",
          "/..\\secret.txt",
          "/index.html%00.txt",
          "/./index.html",
          "/%zz"
        }) {
      assertThat(root.lookup(attack)).as(attack).isInstanceOf(StaticRoot.Refused.class);
      assertThat(((StaticRoot.Refused) root.lookup(attack)).status()).as(attack).isEqualTo(400);
    }
    assertThat(root.lookup("/out"))
        .isEqualTo(new StaticRoot.Refused(403, "link leads outside the static root"));
  }

  @Test
  void followingSymlinksServesLinksOutButStillRefusesDotSegments() throws IOException {
    StaticRoot following = new StaticRoot(root.root(), true);
    assertThat(following.lookup("/out"))
        .isEqualTo(new StaticRoot.File(tmp.resolve("secret.txt").toRealPath()));
    assertThat(following.lookup("/../secret.txt")).isInstanceOf(StaticRoot.Refused.class);
    assertThat(following.lookup("/%2e%2e/secret.txt")).isInstanceOf(StaticRoot.Refused.class);
  }

  @Test
  void siblingsFollowTheSameRules() throws IOException {
    Path guide = root.root().resolve("docs/guide.txt");
    Files.writeString(root.root().resolve("docs/guide.txt.gz"), "packed");
    assertThat(root.sibling(guide, ".gz")).contains(root.root().resolve("docs/guide.txt.gz"));
    assertThat(root.sibling(root.root().resolve("index.html"), ".gz")).isEmpty();
    Files.writeString(tmp.resolve("secret.txt.gz"), "secret");
    Files.createSymbolicLink(root.root().resolve("a b.txt.gz"), tmp.resolve("secret.txt.gz"));
    assertThat(root.sibling(root.root().resolve("a b.txt"), ".gz")).isEmpty();
    assertThat(new StaticRoot(root.root(), true).sibling(root.root().resolve("a b.txt"), ".gz"))
        .contains(tmp.resolve("secret.txt.gz").toRealPath());
    Files.createDirectories(root.root().resolve("docs/dir.gz"));
    assertThat(root.sibling(root.root().resolve("docs/dir"), ".gz")).isEmpty();
  }
}
