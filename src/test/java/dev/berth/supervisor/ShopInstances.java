package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.App;
import dev.berth.config.ConfigLoader;
import dev.berth.logs.LogSettings;
import dev.berth.logs.Logs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An app "shop" with its instances begun on {@link ScriptedLauncher}'s fakes and a {@link
 * FakeTicker}, for tests of what control commands do to instances; closing it shuts them down.
 */
final class ShopInstances implements AutoCloseable {

  private static final String CONFIG =
      """
      [[listeners]]
      address = "127.0.0.1:8080"

      [apps.shop]
      dir = "%s"
      command = "serve"
      drain_timeout = "1s"
      processes = %s
      """;

  final Logs logs;
  final ScriptedLauncher launcher;
  final FakeTicker ticker = new FakeTicker();
  final App app;
  final List<Instance> all = new ArrayList<>();
  private final TrafficSwitch traffic = new TrafficSwitch(new RecordingListener());

  /**
   * @param processes the app's processes table, as TOML
   * @param tags the instances to begin, in order ("web.1", "worker.2")
   */
  ShopInstances(Path tmp, String processes, String... tags) throws Exception {
    logs = new Logs(LogSettings.defaults(tmp.resolve("log")));
    launcher = new ScriptedLauncher(logs, tmp);
    Path config = tmp.resolve("berth.toml");
    Files.writeString(config, CONFIG.formatted(tmp, processes));
    app = ConfigLoader.load(config).apps().get("shop");
    for (String tag : tags) {
      int dot = tag.indexOf('.');
      int number = Integer.parseInt(tag.substring(dot + 1));
      Instance instance =
          new Instance(
              app,
              tag.substring(0, dot),
              number,
              launcher,
              traffic.slot("shop", number, true),
              ticker);
      all.add(instance);
      assertThat(instance.begin().join()).isEmpty();
    }
  }

  @Override
  public void close() {
    all.forEach(instance -> instance.shutdown().join());
    logs.close();
  }
}
