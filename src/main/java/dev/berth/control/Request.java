package dev.berth.control;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * One parsed control request: {@code {"v":1,"command":"...","args":{...}}}.
 *
 * @param command the command name, as sent
 * @param args the arguments (an empty object when the request had none); treat as read-only
 * @param peer who sent it (the user name, or the uid when it has none), for logs
 */
public record Request(String command, ObjectNode args, String peer) {

  public Request {
    requireNonNull(command, "command");
    requireNonNull(args, "args");
    requireNonNull(peer, "peer");
  }

  /** A string argument, if present. @throws ControlException bad_request if it is not a string */
  public Optional<String> text(String name) throws ControlException {
    JsonNode value = args.get(name);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isTextual()) {
      throw badArg(name, "a string", value);
    }
    return Optional.of(value.textValue());
  }

  /** A string argument that must be present. @throws ControlException bad_request otherwise */
  public String requireText(String name) throws ControlException {
    return text(name)
        .orElseThrow(
            () ->
                new ControlException(
                    ControlException.BAD_REQUEST, command + ": missing argument \"" + name + "\""));
  }

  /**
   * An integer argument, or {@code otherwise}. @throws ControlException bad_request if not an int
   */
  public int integer(String name, int otherwise) throws ControlException {
    JsonNode value = args.get(name);
    if (value == null || value.isNull()) {
      return otherwise;
    }
    if (!value.isInt()) {
      throw badArg(name, "an integer", value);
    }
    return value.intValue();
  }

  /**
   * A boolean argument, or {@code otherwise}. @throws ControlException bad_request if not a bool
   */
  public boolean flag(String name, boolean otherwise) throws ControlException {
    JsonNode value = args.get(name);
    if (value == null || value.isNull()) {
      return otherwise;
    }
    if (!value.isBoolean()) {
      throw badArg(name, "true or false", value);
    }
    return value.booleanValue();
  }

  private ControlException badArg(String name, String expected, JsonNode value) {
    return new ControlException(
        ControlException.BAD_REQUEST,
        command + ": argument \"" + name + "\" is " + value + " (expected " + expected + ")");
  }
}
