package dev.berth.config;

import com.fasterxml.jackson.databind.JsonNode;

/** A TOML table with the dotted path the user wrote to reach it ({@code apps.web}). */
record Table(String path, JsonNode node) {

  String child(String key) {
    return KeyLines.join(path, key);
  }

  JsonNode get(String key) {
    return node.get(key);
  }

  boolean has(Key<?> key) {
    return node.get(key.name()) != null;
  }
}
