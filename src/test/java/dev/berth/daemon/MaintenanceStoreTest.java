package dev.berth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.edge.Maintenance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The apps in maintenance as kept across restarts of berth: private files, read back whole. */
class MaintenanceStoreTest {

  @TempDir Path state;

  @Test
  void whatIsStoredIsReadBackByTheNextBerthInPrivateFiles() throws Exception {
    Path dir = state.resolve("maintenance");
    new MaintenanceStore(dir).put("shop", new Maintenance.Notice("<h1>Back soon</h1>", 300));
    new MaintenanceStore(dir).put("blog", new Maintenance.Notice(null, 120));

    List<String> problems = new ArrayList<>();
    var loaded = new MaintenanceStore(dir).load(problems::add);
    assertThat(loaded)
        .containsEntry("shop", new Maintenance.Notice("<h1>Back soon</h1>", 300))
        .containsEntry("blog", new Maintenance.Notice(null, 120))
        .hasSize(2);
    assertThat(problems).isEmpty();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)))
        .isEqualTo("rwx------");
    assertThat(
            PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("shop.json"))))
        .isEqualTo("rw-------");
  }

  @Test
  void offForgetsTheAppAndNothingStoredIsNone() throws Exception {
    MaintenanceStore store = new MaintenanceStore(state.resolve("maintenance"));
    assertThat(store.load(p -> {})).isEmpty();
    store.put("shop", new Maintenance.Notice(null, 120));
    store.remove("shop");
    store.remove("shop");
    assertThat(store.load(p -> {})).isEmpty();
  }

  @Test
  void anUnreadableFileIsToldAndLeftOut() throws Exception {
    Path dir = state.resolve("maintenance");
    MaintenanceStore store = new MaintenanceStore(dir);
    store.put("shop", new Maintenance.Notice(null, 120));
    Files.writeString(dir.resolve("blog.json"), "{not json");

    List<String> problems = new ArrayList<>();
    assertThat(store.load(problems::add)).containsOnlyKeys("shop");
    assertThat(problems).singleElement().asString().contains("blog.json");
  }
}
