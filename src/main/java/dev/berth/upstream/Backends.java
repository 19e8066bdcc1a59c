package dev.berth.upstream;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** All apps' backends by app name. */
public final class Backends {

  private final Map<String, AppBackend> byApp = new ConcurrentHashMap<>();

  public AppBackend forApp(String app) {
    return byApp.computeIfAbsent(app, AppBackend::new);
  }

  public Optional<AppBackend> find(String app) {
    return Optional.ofNullable(byApp.get(app));
  }
}
