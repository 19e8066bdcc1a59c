package dev.berth.cli;

import dev.berth.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code berth maintenance APP on|off}: the app's routes answer 503 with a page while its processes
 * keep running. The page file is read here, by the user who runs the command, not by the daemon.
 */
@Command(
    name = "maintenance",
    description = {
      "Answer 503 with a page on an app's routes, or serve them again.",
      "Its processes keep running and static routes keep serving; it lasts across restarts of"
          + " berth until 'off'."
    })
final class MaintenanceCommand extends ControlCommand {

  /** The daemon refuses larger pages too. */
  static final int MAX_PAGE_BYTES = 1 << 20;

  @Parameters(index = "0", paramLabel = "APP")
  String app;

  @Parameters(index = "1", paramLabel = "on|off")
  String state;

  @Option(
      names = "--page",
      paramLabel = "FILE",
      description =
          "The HTML page to answer with (UTF-8, up to 1 MiB; read now). Default: the app's"
              + " error_pages 503 page, else berth's own.")
  Path page;

  @Option(
      names = "--retry-after",
      paramLabel = "SECONDS",
      description = "The Retry-After the 503s carry (default 120).")
  Integer retryAfter;

  @Override
  int run(Config config) {
    PrintWriter err = spec.commandLine().getErr();
    if (!"on".equals(state) && !"off".equals(state)) {
      err.println("berth: maintenance: " + state + ": expected on or off");
      return BerthCommand.EXIT_USAGE;
    }
    if ("off".equals(state) && (page != null || retryAfter != null)) {
      err.println("berth: maintenance: --page and --retry-after go with on");
      return BerthCommand.EXIT_USAGE;
    }
    var args = args().put("app", app).put("state", state);
    if (page != null) {
      String html;
      try {
        html = read(page);
      } catch (IOException e) {
        err.println("berth: maintenance: " + e.getMessage());
        return BerthCommand.EXIT_FAILED;
      }
      args.put("page", html);
    }
    if (retryAfter != null) {
      args.put("retry_after", retryAfter.intValue());
    }
    return call(
        config,
        "maintenance",
        args,
        e -> {},
        r ->
            say(
                r.path("maintenance").asBoolean()
                    ? app
                        + " is in maintenance: its routes answer 503 (Retry-After "
                        + r.path("retry_after").asInt()
                        + ")"
                    : app + " is out of maintenance: its routes serve"));
  }

  /** The page as text; a missing, too large or non-UTF-8 file in one line. */
  static String read(Path file) throws IOException {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_PAGE_BYTES + 1);
    } catch (NoSuchFileException e) {
      throw new IOException(file + ": no such file", e);
    } catch (IOException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
    if (bytes.length > MAX_PAGE_BYTES) {
      throw new IOException(file + ": larger than 1 MiB");
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new IOException(file + ": not UTF-8 text", e);
    }
  }
}
