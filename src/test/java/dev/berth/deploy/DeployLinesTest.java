package dev.berth.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a deploy's step lines, sizes and revisions read. */
class DeployLinesTest {

  @Test
  void aStepLineAlignsItsNameAndSaysHowLongItTook() {
    assertThat(DeployLines.line("build", "done", Duration.ofMillis(3200)))
        .isEqualTo("-----> build    done  3.20s");
    assertThat(DeployLines.line("rollback", "to release 3", null))
        .isEqualTo("-----> rollback to release 3");
  }

  @Test
  void aGitCommitIsShortenedAndAnythingElseIsNot() {
    assertThat(DeployLines.shortRevision("0123456789abcdef0123")).isEqualTo("0123456789ab");
    assertThat(DeployLines.shortRevision("0123456789abcdef0123-dirty"))
        .isEqualTo("0123456789ab-dirty");
    assertThat(DeployLines.shortRevision("v1.2.3-release-candidate"))
        .isEqualTo("v1.2.3-release-candidate");
  }

  @Test
  void sizesAndNumbers() {
    assertThat(DeployLines.size(512)).isEqualTo("512 B");
    assertThat(DeployLines.size(1536)).isEqualTo("1.5 KiB");
    assertThat(DeployLines.size(3 * 1024 * 1024)).isEqualTo("3.0 MiB");
    assertThat(DeployLines.numbers(List.of(3, 4, 5))).isEqualTo("3, 4, 5");
  }
}
