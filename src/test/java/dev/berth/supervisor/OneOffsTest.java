package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** How a one-off's command becomes the line {@code sh -c} runs. */
class OneOffsTest {

  @Test
  void argumentsAreExecutedAsTheyAreQuotedOneByOne() {
    assertThat(OneOffs.shellLine(List.of("python3", "-c", "print('it''s $HOME')")))
        .isEqualTo("exec 'python3' '-c' 'print('\\''it'\\'''\\''s $HOME'\\'')'");
    assertThat(OneOffs.shellLine(List.of("ls"))).isEqualTo("exec 'ls'");
  }

  @Test
  void oneArgumentWithABlankIsACommandLine() {
    assertThat(OneOffs.shellLine(List.of("python3 manage.py migrate")))
        .isEqualTo("exec python3 manage.py migrate");
    assertThat(OneOffs.shellLine(List.of("./manage.py migrate && echo done")))
        .isEqualTo("./manage.py migrate && echo done");
  }

  @Test
  void noCommandIsRefused() {
    assertThatThrownBy(() -> OneOffs.shellLine(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no command to run");
  }
}
