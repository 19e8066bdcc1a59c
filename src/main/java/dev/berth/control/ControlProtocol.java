package dev.berth.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;

/**
 * The control protocol's constants and its line encoding, shared by server and client. The protocol
 * itself is described in {@code docs/control-protocol.md}.
 */
public final class ControlProtocol {

  /** The protocol version this berth speaks: the request's {@code "v"}. */
  public static final int VERSION = 1;

  /** The longest request line accepted, in bytes, without its newline. */
  public static final int MAX_REQUEST_BYTES = 64 * 1024;

  /** The control socket's file name in state_dir. */
  public static final String SOCKET_NAME = "control.sock";

  static final ObjectMapper JSON = new ObjectMapper();

  /** One JSON value per line, nothing after it. */
  static final ObjectReader LINE_READER =
      JSON.readerFor(JsonNode.class).with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private ControlProtocol() {}

  static ObjectNode request(String command, ObjectNode args) {
    ObjectNode request = JSON.createObjectNode();
    request.put("v", VERSION);
    request.put("command", command);
    request.set("args", args);
    return request;
  }

  static ObjectNode ok(ObjectNode result) {
    ObjectNode line = JSON.createObjectNode();
    line.put("ok", true);
    line.set("result", result);
    return line;
  }

  static ObjectNode error(String code, String message) {
    ObjectNode line = JSON.createObjectNode();
    line.put("ok", false);
    line.put("error", message);
    line.put("code", code);
    return line;
  }

  static ObjectNode event(String kind, ObjectNode fields) {
    ObjectNode line = JSON.createObjectNode();
    line.put("event", kind);
    if (fields != null) {
      if (fields.has("event")) {
        throw new IllegalArgumentException("an event's fields may not include \"event\"");
      }
      line.setAll(fields);
    }
    return line;
  }

  /**
   * A Map, record or Jackson object as a JSON object; null as an empty one.
   *
   * @throws IllegalArgumentException if it is not serialised as a JSON object
   */
  static ObjectNode object(Object value) {
    if (value == null) {
      return JSON.createObjectNode();
    }
    JsonNode tree = value instanceof JsonNode node ? node : JSON.valueToTree(value);
    if (!(tree instanceof ObjectNode object)) {
      throw new IllegalArgumentException(
          "expected something that is a JSON object, got " + tree.getNodeType());
    }
    return object;
  }

  /** The line to send: compact JSON, UTF-8, newline-terminated. */
  static byte[] encode(JsonNode line) {
    try {
      byte[] json = JSON.writeValueAsBytes(line);
      byte[] bytes = new byte[json.length + 1];
      System.arraycopy(json, 0, bytes, 0, json.length);
      bytes[json.length] = '\n';
      return bytes;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode a JSON tree", e);
    }
  }

  static String text(byte[] bytes, int length) {
    return new String(bytes, 0, length, StandardCharsets.UTF_8);
  }
}
