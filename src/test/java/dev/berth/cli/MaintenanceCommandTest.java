package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code berth maintenance}'s page file, and the line {@code berth status} prints for it. */
class MaintenanceCommandTest {

  @TempDir Path tmp;

  @Test
  void thePageIsReadAsUtf8UpTo1MiB() throws Exception {
    Path page = Files.writeString(tmp.resolve("page.html"), "<h1>Bientôt</h1>");
    assertThat(MaintenanceCommand.read(page)).isEqualTo("<h1>Bientôt</h1>");
    Path full = Files.write(tmp.resolve("full.html"), new byte[MaintenanceCommand.MAX_PAGE_BYTES]);
    assertThat(MaintenanceCommand.read(full)).hasSize(MaintenanceCommand.MAX_PAGE_BYTES);
  }

  @Test
  void aMissingLargeOrBinaryPageIsOneLine() throws Exception {
    assertThatThrownBy(() -> MaintenanceCommand.read(tmp.resolve("none.html")))
        .isInstanceOf(IOException.class)
        .hasMessageEndingWith("none.html: no such file");
    Path big =
        Files.write(tmp.resolve("big.html"), new byte[MaintenanceCommand.MAX_PAGE_BYTES + 1]);
    assertThatThrownBy(() -> MaintenanceCommand.read(big))
        .hasMessageEndingWith("big.html: larger than 1 MiB");
    Path binary = Files.write(tmp.resolve("logo.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G'});
    assertThatThrownBy(() -> MaintenanceCommand.read(binary))
        .hasMessageEndingWith("logo.png: not UTF-8 text");
    assertThatThrownBy(() -> MaintenanceCommand.read(tmp))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith(tmp.toString());
  }

  @Test
  void statusSaysWhichAppsAreInMaintenance() throws Exception {
    JsonNode status =
        new ObjectMapper()
            .readTree(
                """
                {"apps":[{"app":"shop","release":3,"undeployed":null,"maintenance":true,"retry_after":120},
                         {"app":"blog","release":7,"undeployed":null,"maintenance":false}],
                 "routes":[]}
                """);
    StringWriter out = new StringWriter();
    AppCommands.printRoutes(new PrintWriter(out, true), status);
    assertThat(out.toString())
        .isEqualTo(
            "shop: in maintenance, its routes answer 503 ('berth maintenance shop off' ends it)\n");
  }
}
