package dev.berth.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * curl, the real client most users test with; for what java.net.http will not send (Host, raw
 * paths).
 */
public final class Curl {

  private Curl() {}

  /** A response: status, header block (lower-cased names), body. */
  public record Response(int status, String headers, String body) {
    public String header(String name) {
      String prefix = name.toLowerCase(Locale.ROOT) + ":";
      for (String line : headers.split("\r?\n")) {
        if (line.toLowerCase(Locale.ROOT).startsWith(prefix)) {
          return line.substring(prefix.length()).trim();
        }
      }
      return null;
    }
  }

  /** Runs {@code curl -sS ARGS URL} (no redirects followed) and returns what it got. */
  public static Response get(String url, String... args) throws IOException, InterruptedException {
    Path headers = Files.createTempFile("curl", ".headers");
    Path body = Files.createTempFile("curl", ".body");
    try {
      List<String> command =
          new ArrayList<>(
              List.of(
                  "curl",
                  "-sS",
                  "--max-time",
                  "30",
                  "-D",
                  headers.toString(),
                  "-o",
                  body.toString(),
                  "-w",
                  "%{http_code}"));
      command.addAll(List.of(args));
      command.add(url);
      Process curl = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!curl.waitFor(60, TimeUnit.SECONDS) || curl.exitValue() != 0) {
        curl.destroyForcibly();
        throw new IOException("curl " + command + " failed: " + out);
      }
      return new Response(Integer.parseInt(out), Files.readString(headers), Files.readString(body));
    } finally {
      Files.deleteIfExists(headers);
      Files.deleteIfExists(body);
    }
  }
}
