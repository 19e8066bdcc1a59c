package dev.berth.config;

import java.util.Locale;

/**
 * docs/configuration.md, written from the key declarations: every key of every table with its type,
 * default, an example and what it does. ConfigReferenceTest fails when the file is not what this
 * writes.
 */
final class ConfigReference {

  /** A short config that uses the common keys; ConfigReferenceTest checks that it loads. */
  static final String EXAMPLE =
      """
      [[listeners]]
      address = ":8080"

      [apps.web]
      dir = "web"
      command = "gunicorn app:app"
      instances = 2
      env = { FLASK_DEBUG = false }
      health_check = { path = "/health" }
      build = "pip install -r requirements.txt"
      processes = { worker = "python worker.py" }

      [apps.legacy]
      upstreams = ["127.0.0.1:9000"]

      [[routes]]
      host = "example.com"
      app = "web"

      [[routes]]
      path = "/static"
      static = "web/static"
      cache_control = "public, max-age=3600"

      [[routes]]
      path = "/old"
      app = "legacy"
      strip_prefix = true
      """;

  /** The keys whose value is a table that has a section of its own. */
  private static final java.util.Map<Key<?>, Section> SECTION_OF_TABLE =
      java.util.Map.ofEntries(
          java.util.Map.entry(TopKeys.EDGE, Section.EDGE),
          java.util.Map.entry(TopKeys.ACCESS_LOG, Section.ACCESS_LOG),
          java.util.Map.entry(TopKeys.LISTENERS, Section.LISTENERS),
          java.util.Map.entry(TopKeys.APPS, Section.APP),
          java.util.Map.entry(TopKeys.ROUTES, Section.ROUTES),
          java.util.Map.entry(TopKeys.TLS, Section.TLS),
          java.util.Map.entry(AppKeys.HEALTH_CHECK, Section.HEALTH_CHECK),
          java.util.Map.entry(AppKeys.PROCESSES, Section.PROCESS_TYPE),
          java.util.Map.entry(RouteKeys.ACCESS_LOG, Section.ACCESS_LOG),
          java.util.Map.entry(AppKeys.ERROR_PAGES, Section.ERROR_PAGES),
          java.util.Map.entry(RouteKeys.BASIC_AUTH, Section.BASIC_AUTH),
          java.util.Map.entry(RouteKeys.RATE_LIMIT, Section.RATE_LIMIT));

  private ConfigReference() {}

  static String markdown() {
    StringBuilder out = new StringBuilder();
    out.append(
        """
        # Configuration reference

        <!-- Generated from the key declarations in src/main/java/dev/berth/config (TopKeys,
        EdgeKeys, AppKeys, RouteKeys, Section) by ConfigReference. Do not edit: change a
        declaration, then run
        mvn -B test -Dtest=ConfigReferenceTest -Dberth.docs.write=true -->

        berth reads one TOML file, `berth.toml` (or the file given with `--config`). Relative paths
        in it are relative to the file's directory, except `procfile` and `env_file`, which are
        relative to the app's `dir`. `berth check` reads it and says what is wrong, as `berth up`
        and `berth reload` do. Every problem names the file, the line and what was expected, and
        all of them are listed at once:

        ```
        berth.toml:7: apps.web.comand: unknown key (did you mean command?)
        berth.toml:9: apps.web.instances: 0 (expected: an integer from 1 to 64)
        berth.toml:4:9: syntax error: newline not permitted here (expected: a value after '=', e.g. "text", 3, true)
        ```

        **Sizes** are `"512"`, `"8k"`, `"10m"`, `"1g"` (binary multiples) or an integer number of
        bytes. **Durations** are `"500ms"`, `"30s"`, `"2m"`, `"1h"` or an integer number of
        seconds, more than 0 and at most 24 hours.

        ## A full example

        ```toml
        """);
    out.append(EXAMPLE);
    out.append("```\n\n");
    out.append("## Tables\n\n");
    for (Section section : Section.values()) {
      String code = section == Section.TOP ? "" : "`";
      out.append("- [")
          .append(code)
          .append(section.title())
          .append(code)
          .append("](#")
          .append(anchor(section.title()))
          .append("): ")
          .append(String.join(", ", section.names().stream().map(n -> "`" + n + "`").toList()))
          .append('\n');
    }
    for (Section section : Section.values()) {
      out.append("\n## ").append(section.title()).append("\n\n");
      if (!section.written().isEmpty() && !section.written().equals(section.title())) {
        out.append("Written as `").append(section.written()).append("`. ");
      }
      out.append(wrap(escape(section.intro()))).append('\n');
      for (Key<?> key : section.keys()) {
        out.append('\n').append(key(section, key));
      }
    }
    return out.toString();
  }

  private static String key(Section section, Key<?> key) {
    StringBuilder out = new StringBuilder();
    out.append("### `").append(qualified(section, key)).append("`\n\n");
    Section own = SECTION_OF_TABLE.get(key);
    if (own != null) {
      out.append("- **type:** ")
          .append(key.type().name())
          .append(", see [`")
          .append(own.title())
          .append("`](#")
          .append(anchor(own.title()))
          .append(")\n");
    } else {
      out.append("- **type:** ")
          .append(key.type().name())
          .append(" (")
          .append(escape(key.type().expected()))
          .append(")\n");
    }
    if (key.example() != null) {
      out.append("- **default:** ")
          .append(
              key.prose()
                  ? escape(unwrapParens(key.shownDefault()))
                  : "`" + key.shownDefault() + "`")
          .append('\n');
      out.append("- **example:** `")
          .append(key.name())
          .append(" = ")
          .append(key.example())
          .append("`\n");
    }
    if (key.onlyWith() != null) {
      out.append("- only on a route with `").append(key.onlyWith()).append(" = ...`\n");
    }
    if (key.processOnly()) {
      out.append("- not for an app given by `upstreams`\n");
    }
    out.append('\n').append(wrap(escape(key.doc()))).append('\n');
    return out.toString();
  }

  private static String qualified(Section section, Key<?> key) {
    return switch (section) {
          case TOP -> key.name();
          case LISTENERS -> "listeners[].";
          case LISTENER_CERTIFICATE -> "listeners[].tls.";
          case TLS -> "tls.";
          case ROUTES -> "routes[].";
          case EDGE -> "edge.";
          case ACCESS_LOG -> "access_log.";
          case APP -> "apps.NAME.";
          case HEALTH_CHECK -> "apps.NAME.health_check.";
          case PROCESS_TYPE -> "apps.NAME.processes.TYPE.";
          case ERROR_PAGES -> "apps.NAME.error_pages.";
          case BASIC_AUTH -> "routes[].basic_auth.";
          case RATE_LIMIT -> "routes[].rate_limit.";
        }
        + (section == Section.TOP ? "" : key.name());
  }

  /** Prose as Markdown shows it: no HTML tag out of {@code <state_dir>}, no emphasis out of *. */
  private static String escape(String prose) {
    return prose.replace("<", "&lt;").replace("*", "\\*");
  }

  private static String unwrapParens(String prose) {
    return prose.substring(1, prose.length() - 1);
  }

  /** GitHub's heading anchor: lower case, punctuation other than - and _ dropped. */
  static String anchor(String heading) {
    return heading.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 _-]", "").replace(' ', '-');
  }

  /** Paragraphs wrapped at 100 columns; lines that start a code block or list stay as they are. */
  private static String wrap(String text) {
    StringBuilder out = new StringBuilder();
    for (String paragraph : text.split("\n\n", -1)) {
      if (!out.isEmpty()) {
        out.append("\n\n");
      }
      if (paragraph.startsWith("#") || paragraph.startsWith("```")) {
        out.append(paragraph);
        continue;
      }
      StringBuilder line = new StringBuilder();
      for (String word : paragraph.split("\\s+")) {
        if (!line.isEmpty() && line.length() + 1 + word.length() > 100) {
          out.append(line).append('\n');
          line.setLength(0);
        }
        if (!line.isEmpty()) {
          line.append(' ');
        }
        line.append(word);
      }
      out.append(line);
    }
    return out.toString();
  }
}
