package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ShellLineTest {

  @Test
  void singleCommandsAreExecdListsAndPipelinesAreNot() {
    assertThat(AppCommand.shellLine("gunicorn --workers 2 wsgi:app"))
        .isEqualTo("exec gunicorn --workers 2 wsgi:app");
    assertThat(AppCommand.shellLine("node server.js --port $PORT")).startsWith("exec ");
    assertThat(AppCommand.shellLine("make build && ./serve")).isEqualTo("make build && ./serve");
    assertThat(AppCommand.shellLine("a; b")).isEqualTo("a; b");
    assertThat(AppCommand.shellLine("a | tee log")).isEqualTo("a | tee log");
    assertThat(AppCommand.shellLine("a || b")).isEqualTo("a || b");
    assertThat(AppCommand.shellLine("a &")).isEqualTo("a &");
    assertThat(AppCommand.shellLine("a\nb")).isEqualTo("a\nb");
  }
}
