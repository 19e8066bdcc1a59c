package dev.berth.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules against git's own answer: {@code git check-ignore --no-index} on the same patterns and
 * paths, made in a folder (a trailing {@code /} marks a directory), so that git sees what each is.
 */
class IgnoreRulesTest {

  @TempDir Path tmp;

  private static final List<String> PATHS =
      List.of(
          "dev.db",
          "keep.db",
          "data/dev.db",
          "data/keep.db",
          "y/foo",
          "foo/",
          "foo/bar",
          "x/foo/",
          "x/foo/bar",
          "a/b",
          "a/x/b",
          "a/x/y/b",
          "x/a/b",
          "ab",
          "build/",
          "build/keep",
          "build/out/x.o",
          "src/build/",
          "src/build/x",
          "doc/",
          "doc/a.txt",
          "doc/sub/a.txt",
          "x.pyc",
          "pkg/__pycache__/",
          "pkg/__pycache__/m.pyc",
          "#hash",
          "!bang",
          "trail ",
          "a1",
          "ab2",
          "b]",
          "c-",
          "{a,b}",
          "star*",
          "q?",
          "node_modules/",
          "node_modules/x/index.js",
          "lib/node_modules/",
          "deep/er/log.txt",
          "log.txt",
          "logs/",
          "logs/today.txt",
          ".venv/",
          ".venv/bin/python",
          "abc/",
          "abc/def",
          "abcdef",
          "Z9",
          "z");

  private static final List<String> FILES =
      List.of(
          """
          # a comment, then a blank line

          *.db
          !keep.db
          foo/
          a/**/b
          """,
          """
          /build/**
          !/build/keep
          doc/*.txt
          **/__pycache__
          *.py[cod]
          """,
          """
          \\#hash
          \\!bang
          trail\\ \s
          [a-c][0-9]
          [!a]b2
          []]]
          [b\\]]
          [^x]]
          c[-]
          c[a-]
          {a,b}
          star\\*
          q\\?
          """,
          """
          node_modules
          /logs/
          **/deep/**
          log.txt
          .venv
          abc/**
          ***def
          [[:upper:]][[:digit:]]
          [z-a]
          [unclosed
          trailing\\
          """,
          """
          *
          !*/
          !*.txt
          """,
          """
          /*
          !/doc
          doc/sub
          """);

  @Test
  void answersAsGitCheckIgnoreDoes() throws Exception {
    int compared = 0;
    for (String file : FILES) {
      Path repo = Files.createTempDirectory(tmp, "repo");
      git(repo, List.of("init", "-q", "."), "");
      Files.writeString(repo.resolve(".gitignore"), file);
      for (String path : PATHS) {
        if (path.endsWith("/")) {
          Files.createDirectories(repo.resolve(path));
        } else {
          Files.createDirectories(repo.resolve(path).getParent());
          Files.writeString(repo.resolve(path), "");
        }
      }
      Map<String, Boolean> git = gitIgnored(repo);
      IgnoreRules rules = IgnoreRules.parse(".gitignore", file);
      for (String path : PATHS) {
        assertThat(leftOut(rules, path)).as("%s with:%n%s", path, file).isEqualTo(git.get(path));
        compared++;
      }
    }
    assertThat(compared).isEqualTo(FILES.size() * PATHS.size());
  }

  @Test
  void theBerthignoreWinsOverTheGitignore() throws Exception {
    assertThat(IgnoreRules.of(tmp).file()).isNull();
    assertThat(IgnoreRules.of(tmp).ignored("dev.db", false)).isFalse();
    Files.writeString(tmp.resolve(".gitignore"), "*.log\n");
    assertThat(IgnoreRules.of(tmp).file()).isEqualTo(".gitignore");
    assertThat(IgnoreRules.of(tmp).ignored("x.log", false)).isTrue();
    Files.writeString(tmp.resolve(".berthignore"), "*.db\n");
    IgnoreRules rules = IgnoreRules.of(tmp);
    assertThat(rules.file()).isEqualTo(".berthignore");
    assertThat(rules.ignored("x.log", false)).isFalse();
    assertThat(rules.ignored("dev.db", false)).isTrue();
  }

  @Test
  void aByteOrderMarkAndWindowsLineEndsAreNotPartOfAPattern() {
    IgnoreRules rules = IgnoreRules.parse(".berthignore", "\uFEFF*.db\r\n*.log\r\n");
    assertThat(rules.ignored("dev.db", false)).isTrue();
    assertThat(rules.ignored("x.log", false)).isTrue();
  }

  /** As the walk decides: the path, or a directory it is in, is ignored. */
  private static boolean leftOut(IgnoreRules rules, String path) {
    boolean directory = path.endsWith("/");
    String name = directory ? path.substring(0, path.length() - 1) : path;
    for (int slash = name.indexOf('/'); slash >= 0; slash = name.indexOf('/', slash + 1)) {
      if (rules.ignored(name.substring(0, slash), true)) {
        return true;
      }
    }
    return rules.ignored(name, directory);
  }

  /** Each path: whether git ignores it (matched by a pattern that is not a negation). */
  private static Map<String, Boolean> gitIgnored(Path repo) throws Exception {
    List<String> names = PATHS.stream().map(IgnoreRulesTest::withoutSlash).toList();
    String input = String.join("\0", names) + "\0";
    String out =
        git(repo, List.of("check-ignore", "--no-index", "-v", "-n", "-z", "--stdin"), input);
    String[] fields = out.split("\0", -1);
    Map<String, Boolean> ignored = new LinkedHashMap<>();
    for (int i = 0; i + 3 < fields.length; i += 4) {
      String pattern = fields[i + 2];
      ignored.put(fields[i + 3], !fields[i].isEmpty() && !pattern.startsWith("!"));
    }
    assertThat(ignored.keySet()).containsExactlyElementsOf(names);
    Map<String, Boolean> byPath = new LinkedHashMap<>();
    PATHS.forEach(path -> byPath.put(path, ignored.get(withoutSlash(path))));
    return byPath;
  }

  private static String withoutSlash(String path) {
    return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  private static String git(Path repo, List<String> args, String input) throws Exception {
    List<String> argv = new ArrayList<>(List.of("git", "-C", repo.toString()));
    argv.addAll(args);
    Process process =
        new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    process.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
    process.getOutputStream().close();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    // check-ignore exits 1 when no path is ignored.
    assertThat(process.exitValue()).isIn(0, 1);
    return out;
  }
}
