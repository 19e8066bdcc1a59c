package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SyntaxErrorTest {

  /** Each case: the TOML text (with \n for newlines), then the whole message. */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      textBlock =
          """
          a = 1\\nb =\\n | berth.toml:2:4: syntax error: newline not permitted here (expected: a value after '=', e.g. "text", 3, true)
          [apps.web]\\ncommand = "gunicorn app:app\\ninstances = 2\\n | berth.toml:2:28: syntax error: text not closed on its line (expected: a closing " before the end of the line; \"\"\" (three quotes) starts text over several lines)
          a = {x = 1\\n | berth.toml:1:11: syntax error: newline not permitted here (expected: } to close the inline table on the same line; a [table] header takes several lines)
          [apps.web\\ncommand = "x"\\n | berth.toml:1:10: syntax error: newline not permitted here (expected: ] to close the table header, as in [apps.web])
          a = 1\\nb = = 2\\n | berth.toml:2:5: syntax error: unexpected "=" (expected: a value: "text" in quotes, a number, true or false, [a list] or { a table })
          command = gunicorn\\n | berth.toml:1:11: syntax error: unexpected "gunicorn" (expected: a value: "text" in quotes, a number, true or false, [a list] or { a table })
          start timeout = 3\\n | berth.toml:1:6: syntax error: unexpected "timeout" (expected: = after the key; a key with spaces goes in quotes)
          a = 1 2\\n | berth.toml:1:7: syntax error: unexpected "2" after the value (expected: the end of the line or a # comment after a value (one key = value per line), a number without a stray character, or "text" in quotes)
          a = 1\\n\\n# again\\na = 2\\nb = 3\\n | berth.toml:4: syntax error: a is set twice (expected: each key once in its table)
          [x]\\ny = 1\\n[x]\\n | berth.toml:3:3: syntax error: [x] is defined twice (expected: each [table] header once; add its keys under the first)
          a = [1, 2\\n | berth.toml:2:1: syntax error: the file ends inside a value (expected: the closing ] of a list or \"\"\" of a text)
          [[a]\\n | berth.toml:2:1: syntax error: unexpected ] (expected: ]])
          = 1\\n | berth.toml:1:1: syntax error: unexpected = (expected: key = value or a [table] header)
          a = {x = 1,}\\n | berth.toml:1:12: syntax error: a comma before } (expected: no comma after the last key of { ... })
          a = 01\\n | berth.toml:1:5: syntax error: a number with a leading zero (expected: a number without leading zeros)
          a = 2021-13-40\\n | berth.toml:1: syntax error: invalid date or time 2021-13-40 (expected: a real date and time like 1979-05-27T07:32:00Z, or "text" in quotes)
          """)
  void saysWhereAndWhatWasExpected(String toml, String message) {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class,
            () -> ConfigLoader.parse(Path.of("berth.toml"), toml.replace("\\n", "\n")));

    assertThat(e.problems()).containsExactly(message);
  }
}
