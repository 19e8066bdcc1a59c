package dev.berth.accesslog;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import dev.berth.config.AccessLogSpec;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Turns an entry into one log line (without its newline), in the server's time zone. Both formats
 * produce ASCII only, so no client-sent byte can end a line or reach a terminal raw.
 */
final class LineFormat {

  private static final DateTimeFormatter TIME_LOCAL =
      DateTimeFormatter.ofPattern("dd/MMM/uuuu:HH:mm:ss Z", Locale.ENGLISH);
  // Fixed millisecond precision and "+00:00" rather than "Z": every line has the same shape.
  private static final DateTimeFormatter TIME_ISO =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSxxx", Locale.ENGLISH);
  private static final JsonFactory JSON =
      JsonFactory.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private final ZoneId zone;

  LineFormat(ZoneId zone) {
    this.zone = zone;
  }

  String format(AccessLogSpec.Format format, AccessLogEntry e) {
    return switch (format) {
      case COMBINED -> combined(e);
      case JSON -> json(e);
    };
  }

  /** nginx's "combined", then {@code "$upstream_addr" $upstream_response_time $request_time}. */
  String combined(AccessLogEntry e) {
    StringBuilder b = new StringBuilder(256);
    escape(b, e.remoteAddress()).append(" - - [").append(TIME_LOCAL.format(e.time().atZone(zone)));
    b.append("] \"");
    escape(b, e.method()).append(' ');
    escape(b, e.target()).append(' ');
    escape(b, e.protocol()).append("\" ");
    // nginx prints $status as %03d: a response never sent shows as 000.
    b.append(e.status() == 0 ? "000" : Integer.toString(e.status()))
        .append(' ')
        .append(e.bodyBytesSent());
    quoted(b, e.referer());
    quoted(b, e.userAgent());
    quoted(b, e.upstreamAddress());
    b.append(' ');
    if (e.upstreamTime() == null) {
      b.append('-');
    } else {
      b.append(seconds(e.upstreamTime()));
    }
    return b.append(' ').append(seconds(e.requestTime())).toString();
  }

  private static void quoted(StringBuilder b, String value) {
    b.append(" \"");
    escape(b, value == null ? "-" : value).append('"');
  }

  /**
   * nginx's log escaping: {@code "}, {@code \}, control characters and non-ASCII become {@code
   * \xNN}. The edge decodes header bytes as Latin-1, so a char up to U+00FF is the byte the client
   * sent; anything beyond is escaped as its UTF-8 bytes.
   */
  static StringBuilder escape(StringBuilder b, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        b.append(c);
      } else if (c <= 0xff) {
        hexByte(b, c);
      } else {
        int end = Character.isHighSurrogate(c) && i + 1 < s.length() ? i + 2 : i + 1;
        for (byte x : s.substring(i, end).getBytes(StandardCharsets.UTF_8)) {
          hexByte(b, x & 0xff);
        }
        i = end - 1;
      }
    }
    return b;
  }

  private static void hexByte(StringBuilder b, int x) {
    b.append("\\x").append(HEX[x >> 4]).append(HEX[x & 0xf]);
  }

  String json(AccessLogEntry e) {
    StringWriter out = new StringWriter(384);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("time", TIME_ISO.format(e.time().atZone(zone)));
      g.writeStringField("remote_addr", e.remoteAddress());
      g.writeStringField("method", e.method());
      g.writeStringField("target", e.target());
      g.writeStringField("protocol", e.protocol());
      g.writeNumberField("status", e.status());
      g.writeNumberField("body_bytes_sent", e.bodyBytesSent());
      g.writeStringField("referer", e.referer());
      g.writeStringField("user_agent", e.userAgent());
      g.writeStringField("host", e.host());
      g.writeStringField("upstream_addr", e.upstreamAddress());
      g.writeFieldName("upstream_time");
      if (e.upstreamTime() == null) {
        g.writeNull();
      } else {
        g.writeNumber(seconds(e.upstreamTime()));
      }
      g.writeNumberField("request_time", seconds(e.requestTime()));
      g.writeEndObject();
    } catch (IOException impossible) {
      throw new UncheckedIOException(impossible); // a StringWriter does not fail
    }
    return out.toString();
  }

  /** Seconds with millisecond precision, as nginx prints times: 0.012, 1.500. */
  private static BigDecimal seconds(Duration d) {
    return BigDecimal.valueOf(Math.max(0, d.toMillis()), 3);
  }
}
