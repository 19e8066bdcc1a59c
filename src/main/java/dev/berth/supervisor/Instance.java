package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;

/** One running process of an app, with the endpoint berth gave it. */
final class Instance {

  private final App app;
  private final int number;
  private final Endpoint endpoint;
  private final Process process;
  private final OutputPump output;
  private volatile boolean stopping;

  Instance(App app, int number, Endpoint endpoint, Process process, OutputPump output) {
    this.app = requireNonNull(app, "app");
    this.number = number;
    this.endpoint = requireNonNull(endpoint, "endpoint");
    this.process = requireNonNull(process, "process");
    this.output = requireNonNull(output, "output");
  }

  App app() {
    return app;
  }

  int number() {
    return number;
  }

  Endpoint endpoint() {
    return endpoint;
  }

  Process process() {
    return process;
  }

  OutputPump output() {
    return output;
  }

  boolean stopping() {
    return stopping;
  }

  void markStopping() {
    stopping = true;
  }

  String tag() {
    return app.name() + "." + number;
  }
}
