package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvFileTest {

  @TempDir Path dir;

  @Test
  void readsDotenvLines() throws Exception {
    Path file = dir.resolve(".env");
    Files.writeString(
        file,
        """
        # a comment
        PLAIN=value
        export EXPORTED=yes
        SPACED = around
        SINGLE='it''s $raw # not a comment'
        DOUBLE="line\\nnext \\"quoted\\""
        TRAILING=value # comment
        EMPTY=
        not a line
        """);
    List<String> problems = new ArrayList<>();

    Map<String, String> env = EnvFile.read(file, problems);

    assertThat(env)
        .containsExactly(
            Map.entry("PLAIN", "value"),
            Map.entry("EXPORTED", "yes"),
            Map.entry("SPACED", "around"),
            Map.entry("SINGLE", "it"),
            Map.entry("DOUBLE", "line\nnext \"quoted\""),
            Map.entry("TRAILING", "value"),
            Map.entry("EMPTY", ""));
    assertThat(problems).containsExactly(file + ":9: not NAME=value; skipped");
  }

  @Test
  void missingFileIsEmpty() throws Exception {
    assertThat(EnvFile.read(dir.resolve("none"), new ArrayList<>())).isEmpty();
  }
}
