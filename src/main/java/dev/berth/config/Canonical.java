package dev.berth.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A stable serialization of config values: JSON with every object's keys sorted, records by their
 * components' names, durations in ISO-8601 ("PT30S"), paths and enums as text. It depends on
 * neither {@code toString()} nor the order of a map, so equal definitions always hash alike.
 */
final class Canonical {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Canonical() {}

  /** The canonical JSON text of {@code value}. */
  static String json(Object value) {
    try {
      return JSON.writeValueAsString(tree(value));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The first 12 hex digits of the SHA-256 of {@link #json}. */
  static String hash(Object value) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(json(value).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is in every JDK", e);
    }
  }

  private static JsonNode tree(Object value) {
    return switch (value) {
      case null -> NODES.nullNode();
      case String s -> NODES.textNode(s);
      case Boolean b -> NODES.booleanNode(b);
      case Integer i -> NODES.numberNode(i);
      case Long l -> NODES.numberNode(l);
      case Duration d -> NODES.textNode(d.toString());
      case Path p -> NODES.textNode(p.toString());
      case Enum<?> e -> NODES.textNode(e.name());
      case Map<?, ?> map -> {
        ObjectNode node = NODES.objectNode();
        new TreeMap<>(map).forEach((k, v) -> node.set(String.valueOf(k), tree(v)));
        yield node;
      }
      case List<?> list -> {
        ArrayNode node = NODES.arrayNode();
        list.forEach(element -> node.add(tree(element)));
        yield node;
      }
      case Record record -> record(record);
      default ->
          throw new IllegalArgumentException("no canonical form for " + value.getClass().getName());
    };
  }

  private static ObjectNode record(Record record) {
    ObjectNode node = NODES.objectNode();
    RecordComponent[] components = record.getClass().getRecordComponents();
    Arrays.sort(components, Comparator.comparing(RecordComponent::getName));
    for (RecordComponent component : components) {
      try {
        node.set(component.getName(), tree(component.getAccessor().invoke(record)));
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
    return node;
  }
}
