package dev.berth.upstream;

import dev.berth.config.App;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** All apps' backends by app name. */
public final class Backends {

  private final Map<String, AppBackend> byApp = new ConcurrentHashMap<>();

  /** The app's backend, created with the app's balancing and keep-alive settings. */
  public AppBackend define(App app) {
    return byApp.computeIfAbsent(app.name(), name -> AppBackend.of(app));
  }

  /** Takes the app's backend out (it was removed from the config): requests no longer find it. */
  public Optional<AppBackend> remove(String app) {
    return Optional.ofNullable(byApp.remove(app));
  }

  public Optional<AppBackend> find(String app) {
    return Optional.ofNullable(get(app));
  }

  /** The app's backend, or null: the lookup of every proxied request, which makes no Optional. */
  public AppBackend get(String app) {
    return byApp.get(app);
  }

  public java.util.Collection<AppBackend> all() {
    return byApp.values();
  }
}
