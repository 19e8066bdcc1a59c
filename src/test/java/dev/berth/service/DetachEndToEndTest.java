package dev.berth.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.BerthProcess;
import dev.berth.testing.Curl;
import dev.berth.testing.LeftoverProcesses;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A berth that stays up without root: {@code berth up --detach} returns once the daemon serves (or
 * with the daemon's own reason when it cannot), the pid file names it, and after a {@code kill -9}
 * the crontab's watchdog line, run by sh as cron runs it, brings it back.
 */
class DetachEndToEndTest {

  private static final Duration START = Duration.ofSeconds(120);

  @TempDir Path tmp;

  @Test
  void upDetachServesAndTheWatchdogLineBringsAKilledBerthBack() throws Exception {
    int port = BerthProcess.freePort();
    Path state = tmp.resolve("state");
    Path pidFile = state.resolve("berth.pid");
    Path config =
        BerthProcess.write(
            tmp.resolve("site/berth.toml"),
            """
            state_dir = "%s"

            [[listeners]]
            address = "127.0.0.1:%d"

            [apps.web]
            user = "root"
            dir = "%s"
            command = "gunicorn wsgi:app"
            stop_timeout = "5s"

            [[routes]]
            app = "web"
            """
                .formatted(state, port, BerthProcess.testApp()));
    String url = "http://127.0.0.1:" + port + "/";
    try {
      // Its port taken: the daemon's own message, and its exit code.
      try (ServerSocket taken = new ServerSocket(port, 1, InetAddress.getLoopbackAddress());
          BerthProcess refused =
              BerthProcess.start("up", "--detach", "--config", config.toString())) {
        assertThat(refused.waitFor(START)).as(refused.output()).isEqualTo(1);
        assertThat(refused.output())
            .contains("listeners[0].address: 127.0.0.1:" + port + " is already in use")
            .contains("berth: up --detach: berth exited with 1 before it served");
      }
      assertThat(pidFile).doesNotExist();

      long first;
      try (BerthProcess up = BerthProcess.start("up", "--detach", "--config", config.toString())) {
        assertThat(up.waitFor(START)).as(up.output()).isZero();
        first = pidIn(pidFile).orElseThrow();
        assertThat(up.output())
            .contains("berth: app web: ready, 1/1 instance(s)")
            .contains("berth: serving on " + url.substring(0, url.length() - 1))
            .endsWith(
                "berth: serving in the background, pid "
                    + first
                    + " (in "
                    + pidFile
                    + "); from now on its lines go to "
                    + state.resolve("log/berth.log")
                    + " only");
      }
      assertThat(Curl.get(url).status()).isEqualTo(200);
      assertThat(Files.readString(state.resolve("log/berth.log")))
          .contains("berth: started by berth up --detach, pid " + first);
      ProcessHandle killed = ProcessHandle.of(first).orElseThrow();
      killed.destroyForcibly();
      killed.onExit().get(30, TimeUnit.SECONDS);

      runWatchdogLine(config);
      long second = pidIn(pidFile).orElseThrow();
      assertThat(second).isNotEqualTo(first);
      assertThat(Curl.get(url).status()).isEqualTo(200);
      // What the killed berth's apps were ended by the new one, as after any crash.
      assertThat(Files.readString(state.resolve("log/berth.log")))
          .contains("ended processes left running by a previous berth");

      // Served: the watchdog line changes nothing.
      runWatchdogLine(config);
      assertThat(pidIn(pidFile)).hasValue(second);

      ProcessHandle daemon = ProcessHandle.of(second).orElseThrow();
      daemon.destroy();
      daemon.onExit().get(60, TimeUnit.SECONDS);
      assertThat(pidFile).doesNotExist();
    } finally {
      // Whatever failed above: no berth left behind (its apps are LeftoverProcesses' to find).
      pidIn(pidFile).ifPresent(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy));
    }
  }

  private static OptionalLong pidIn(Path file) throws Exception {
    if (!Files.exists(file)) {
      return OptionalLong.empty();
    }
    String text = Files.readString(file).strip();
    return text.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(text));
  }

  /**
   * The watchdog line that {@code berth service install --cron} writes, run by sh as cron runs it,
   * with a launcher that runs this build's berth; returns once it is done.
   */
  private void runWatchdogLine(Path config) throws Exception {
    Path bin = tmp.resolve("bin");
    Path launcher = bin.resolve("berth");
    if (!Files.exists(launcher)) {
      Files.createDirectories(bin);
      Files.writeString(
          launcher,
          "#!/bin/sh\n"
              + "export BERTH_LAUNCHER=\"$0\"\n"
              + "exec '"
              + ProcessHandle.current().info().command().orElse("java")
              + "' -XX:+UseSerialGC -Xmx256m --enable-native-access=ALL-UNNAMED -cp '"
              + System.getProperty("java.class.path")
              + "' dev.berth.Main \"$@\"\n");
      Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwx------"));
    }
    FakeHost host = new FakeHost().alice(false);
    host.programs.add("crontab");
    host.berthHome = bin;
    host.files.put(launcher, "");
    host.env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
    ServicePlan plan =
        new ServiceInstaller(host)
            .install(
                dev.berth.config.ConfigLoader.load(config),
                new ServiceInstaller.Options("berth", null, true));
    List<String> lines = ((ServicePlan.Crontab) plan.steps().getFirst()).changed();
    String watchdog = lines.get(2);
    assertThat(watchdog).startsWith("*/5 * * * * ");
    ProcessBuilder sh =
        new ProcessBuilder("/bin/sh", "-c", watchdog.substring("*/5 * * * * ".length()))
            .redirectErrorStream(true);
    Process cron = LeftoverProcesses.mark(sh).start();
    String output = new String(cron.getInputStream().readAllBytes());
    assertThat(cron.waitFor(START.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(cron.exitValue()).as(output).isZero();
    assertThat(output).as("all of it goes to berth's logs").isEmpty();
  }
}
