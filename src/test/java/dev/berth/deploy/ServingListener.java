package dev.berth.deploy;

import dev.berth.supervisor.Endpoint;
import dev.berth.supervisor.InstanceListener;
import dev.berth.testing.Curl;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The edge's side of a real supervisor in a deploy test: which endpoints take traffic, as the
 * edge's backend would have them, and the apps whose generation switched.
 */
final class ServingListener implements InstanceListener {

  final Set<Endpoint> serving = ConcurrentHashMap.newKeySet();
  final List<String> switches = new CopyOnWriteArrayList<>();

  private record Handle(Endpoint endpoint, Set<Endpoint> serving) implements Routed {
    @Override
    public void withdraw() {
      serving.remove(endpoint);
    }

    @Override
    public int inFlight() {
      return 0;
    }

    @Override
    public long requests() {
      return 0;
    }
  }

  @Override
  public Routed ready(String app, int instance, Endpoint endpoint) {
    serving.add(endpoint);
    return new Handle(endpoint, serving);
  }

  @Override
  public Routed standby(String app, int instance, Endpoint endpoint) {
    return new Handle(endpoint, serving);
  }

  @Override
  public void serveFrom(String app, Path release) {}

  @Override
  public void switchOver(String app, Path release, List<Routed> next) {
    serving.clear();
    next.forEach(routed -> serving.add(((Handle) routed).endpoint()));
    switches.add(app);
  }

  /** The body of GET {@code path} from every serving instance, sorted. */
  List<String> get(String path) throws Exception {
    List<String> bodies = new ArrayList<>();
    for (Endpoint endpoint : serving) {
      String socket = ((Endpoint.Unix) endpoint).path().toString();
      bodies.add(Curl.get("http://web" + path, "--unix-socket", socket).body().strip());
    }
    bodies.sort(null);
    return bodies;
  }
}
