package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KeyLinesTest {

  @Test
  void tablesAndArraysOfTables() {
    KeyLines lines =
        KeyLines.scan(
            """
            top = 1
            [apps.web]
            command = "x"

            [[routes]]
            path = "/a"
            [[routes]]
            path = "/b"
            """);

    assertThat(lines.line("top")).isEqualTo(1);
    assertThat(lines.line("apps.web")).isEqualTo(2);
    assertThat(lines.line("apps")).isEqualTo(2);
    assertThat(lines.line("apps.web.command")).isEqualTo(3);
    assertThat(lines.line("routes[0]")).isEqualTo(5);
    assertThat(lines.line("routes[0].path")).isEqualTo(6);
    assertThat(lines.line("routes[1]")).isEqualTo(7);
    assertThat(lines.line("routes[1].path")).isEqualTo(8);
  }

  @Test
  void nestedArraysOfTablesCountPerParentElement() {
    KeyLines lines =
        KeyLines.scan(
            """
            [[a]]
            [[a.b]]
            x = 1
            [[a]]
            [[a.b]]
            [[a.b]]
            y = 2
            [a.c]
            z = 3
            """);

    assertThat(lines.line("a[0].b[0].x")).isEqualTo(3);
    assertThat(lines.line("a[1].b[0]")).isEqualTo(5);
    assertThat(lines.line("a[1].b[1].y")).isEqualTo(7);
    assertThat(lines.line("a[1].c.z")).isEqualTo(9);
  }

  @Test
  void dottedAndQuotedKeys() {
    KeyLines lines =
        KeyLines.scan(
            """
            [ apps . "web" ]
            env.FOO = "1"
            "my key" = 2
            'lit.eral' = 3
            """);

    assertThat(lines.line("apps.web")).isEqualTo(1);
    assertThat(lines.line("apps.web.env.FOO")).isEqualTo(2);
    assertThat(lines.line("apps.web.env")).isEqualTo(2);
    assertThat(lines.line(KeyLines.join("apps.web", "my key"))).isEqualTo(3);
    assertThat(lines.line("apps.web.\"lit.eral\"")).isEqualTo(4);
  }

  @Test
  void multiLineStringsAndArraysDoNotConfuseLines() {
    KeyLines lines =
        KeyLines.scan(
            """
            a = \"""
            not = a key
            [not.a.table]
            # not a comment \\\"""
            \"""
            b = '''
            c = 1 "
            '''
            d = [
              "x]", # comment with ] and =
              'y',
              [1, 2],
            ]
            e = "#" # = f
            g = \"""quoted at the end\"\"\"\"\"
            h = 1
            """);

    assertThat(lines.line("a")).isEqualTo(1);
    assertThat(lines.line("not")).isEqualTo(1);
    assertThat(lines.line("not.a.table")).isEqualTo(1);
    assertThat(lines.line("b")).isEqualTo(6);
    assertThat(lines.line("c")).isEqualTo(1);
    assertThat(lines.line("d")).isEqualTo(9);
    assertThat(lines.line("d[1]")).isEqualTo(11);
    assertThat(lines.line("d[2][1]")).isEqualTo(12);
    assertThat(lines.line("e")).isEqualTo(14);
    assertThat(lines.line("f")).isEqualTo(1);
    assertThat(lines.line("g")).isEqualTo(15);
    assertThat(lines.line("h")).isEqualTo(16);
  }

  @Test
  void inlineTablesRecordTheirKeys() {
    KeyLines lines =
        KeyLines.scan(
            """
            [apps.web]
            env = { A = "1", B = { C = 2 } }
            routes = [
              { path = "/a" },
              { path = "/b" },
            ]
            """);

    assertThat(lines.line("apps.web.env")).isEqualTo(2);
    assertThat(lines.line("apps.web.env.A")).isEqualTo(2);
    assertThat(lines.line("apps.web.env.B.C")).isEqualTo(2);
    assertThat(lines.line("apps.web.routes[1].path")).isEqualTo(5);
  }

  @Test
  void unknownPathsFallBackToTheNearestParentThenLineOne() {
    KeyLines lines = KeyLines.scan("\n\n[apps.web]\n");

    assertThat(lines.line("apps.web.command")).isEqualTo(3);
    assertThat(lines.line("apps.web.env.\"a.b\".c")).isEqualTo(3);
    assertThat(lines.line("listeners[0].address")).isEqualTo(1);
  }

  @Test
  void joinQuotesKeysThatAreNotBare() {
    assertThat(KeyLines.join("", "apps")).isEqualTo("apps");
    assertThat(KeyLines.join("apps", "web-1")).isEqualTo("apps.web-1");
    assertThat(KeyLines.join("env", "1 X\"")).isEqualTo("env.\"1 X\\\"\"");
    assertThat(KeyLines.index("routes", 2)).isEqualTo("routes[2]");
  }
}
