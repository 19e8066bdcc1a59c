package dev.berth.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LastOutputTest {

  @Test
  void tenLinesOrFewerAreShownWhole() {
    List<String> lines = List.of("a", "b", "RuntimeError: boom");
    assertThat(LastOutput.excerpt(lines)).isEqualTo(lines);
    assertThat(LastOutput.append("web.1: exited with code 3", lines))
        .isEqualTo("web.1: exited with code 3; last output:\n    a\n    b\n    RuntimeError: boom");
    assertThat(LastOutput.append("web.1: exited", List.of())).isEqualTo("web.1: exited");
  }

  @Test
  void theFirstExceptionBeforeTheTailIsKept() {
    // gunicorn whose worker failed at import, then whose master raised HaltServer.
    List<String> lines = new ArrayList<>();
    lines.add("Traceback (most recent call last):");
    lines.add("  File \"/srv/app/wsgi.py\", line 2, in <module>");
    lines.add("RuntimeError: release 3 is broken");
    lines.add("[INFO] Worker exiting (pid: 12)");
    for (int i = 0; i < 12; i++) {
      lines.add("  File \"/usr/lib/python3/dist-packages/gunicorn/arbiter.py\", line " + i);
    }
    lines.add("gunicorn.errors.HaltServer: <HaltServer 'Worker failed to boot.' 3>");

    List<String> shown = LastOutput.excerpt(lines);

    assertThat(shown).hasSize(12);
    assertThat(shown.get(0)).isEqualTo("RuntimeError: release 3 is broken");
    assertThat(shown.get(1)).isEqualTo("...");
    assertThat(shown.get(11)).startsWith("gunicorn.errors.HaltServer");
  }

  @Test
  void withoutAnExceptionOnlyTheTailIsShown() {
    List<String> lines = new ArrayList<>();
    for (int i = 1; i <= 15; i++) {
      lines.add("line " + i);
    }
    assertThat(LastOutput.excerpt(lines))
        .containsExactly(
            "...", "line 6", "line 7", "line 8", "line 9", "line 10", "line 11", "line 12",
            "line 13", "line 14", "line 15");
  }
}
