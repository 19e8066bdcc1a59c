package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ShellLineTest {

  @Test
  void singleCommandsAreExecdListsAndPipelinesAreNot() {
    assertThat(Supervisor.shellLine("gunicorn --workers 2 wsgi:app"))
        .isEqualTo("exec gunicorn --workers 2 wsgi:app");
    assertThat(Supervisor.shellLine("node server.js --port $PORT")).startsWith("exec ");
    assertThat(Supervisor.shellLine("make build && ./serve")).isEqualTo("make build && ./serve");
    assertThat(Supervisor.shellLine("a; b")).isEqualTo("a; b");
    assertThat(Supervisor.shellLine("a | tee log")).isEqualTo("a | tee log");
    assertThat(Supervisor.shellLine("a || b")).isEqualTo("a || b");
    assertThat(Supervisor.shellLine("a &")).isEqualTo("a &");
    assertThat(Supervisor.shellLine("a\nb")).isEqualTo("a\nb");
  }
}
