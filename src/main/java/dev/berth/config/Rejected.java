package dev.berth.config;

/** Thrown by a {@link ValueType} for a value it does not accept: what it expected instead. */
final class Rejected extends Exception {

  Rejected(String expected) {
    super(expected, null, false, false);
  }

  String expected() {
    return getMessage();
  }
}
