package dev.berth.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The fenced code blocks of a Markdown page, for a test that runs what the docs show (a front
 * server's config block, a berth.toml) so that the docs cannot drift from what works.
 */
public final class DocBlocks {

  /** One fenced block: its info string ("apache", "toml"; may be empty) and its lines. */
  public record Block(String language, String text) {}

  private final Path page;
  private final List<Block> blocks;

  private DocBlocks(Path page, List<Block> blocks) {
    this.page = page;
    this.blocks = List.copyOf(blocks);
  }

  /** The blocks of {@code page} (relative to the repository, e.g. "docs/shared-server.md"). */
  public static DocBlocks of(String page) throws IOException {
    Path file = BerthProcess.repo().resolve(requireNonNull(page, "page"));
    List<Block> blocks = new ArrayList<>();
    String language = null;
    StringBuilder text = new StringBuilder();
    for (String line : Files.readAllLines(file)) {
      if (language == null && line.startsWith("```")) {
        language = line.substring(3).strip();
        text.setLength(0);
      } else if (language != null && line.startsWith("```")) {
        blocks.add(new Block(language, text.toString()));
        language = null;
      } else if (language != null) {
        text.append(line).append('\n');
      }
    }
    return new DocBlocks(file, blocks);
  }

  /** The one block in {@code language} that contains {@code text}; fails if none or several. */
  public String block(String language, String text) {
    List<Block> found =
        blocks.stream()
            .filter(b -> b.language().equals(language) && b.text().contains(text))
            .toList();
    if (found.size() != 1) {
      throw new AssertionError(
          page
              + " has "
              + found.size()
              + " ```"
              + language
              + " blocks containing \""
              + text
              + "\", the test expects one");
    }
    return found.get(0).text();
  }
}
