package dev.berth.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's apache2 or nginx, started by a test (as root, workers as www-data, as the packages run
 * them) on a free loopback port, with a config made of a block a test took from the docs: the front
 * server of a shared host. Its files (config, pid, error log) stay in a directory of the test's.
 */
public final class FrontServer implements AutoCloseable {

  private static final Path APACHE = Path.of("/usr/sbin/apache2");
  private static final Path NGINX = Path.of("/usr/sbin/nginx");
  private static final Path APACHE_MODULES = Path.of("/etc/apache2/mods-available");

  private final String name;
  private final Process process;
  private final int port;
  private final Path errorLog;

  private FrontServer(String name, Process process, int port, Path errorLog) {
    this.name = name;
    this.process = process;
    this.port = port;
    this.errorLog = errorLog;
  }

  /** Whether Debian's apache2 and nginx are installed (scripts/install-deps.sh --tests). */
  public static boolean installed() {
    return Files.isExecutable(APACHE) && Files.isExecutable(NGINX);
  }

  /**
   * apache2 with the modules {@code modules} enabled as a2enmod enables them (their {@code .load}
   * and {@code .conf} files from mods-available), and {@code site} inside the one virtual host.
   */
  public static FrontServer apache(Path dir, List<String> modules, String site) throws Exception {
    Files.createDirectories(dir);
    StringBuilder includes = new StringBuilder();
    // What Debian's apache2.conf enables by default and a proxy needs: an MPM and authorization.
    for (String module : concat(List.of("mpm_event", "authz_core"), modules)) {
      for (String suffix : List.of(".load", ".conf")) {
        Path file = APACHE_MODULES.resolve(module + suffix);
        if (Files.exists(file)) {
          includes.append("Include ").append(file).append('\n');
        } else if (suffix.equals(".load")) {
          throw new AssertionError("no apache2 module " + module + " (" + file + ")");
        }
      }
    }
    Path config = dir.resolve("apache2.conf");
    Path errorLog = dir.resolve("error.log");
    return start(
        "apache2",
        dir,
        errorLog,
        port -> {
          Files.writeString(
              config,
              """
              ServerName localhost
              Listen 127.0.0.1:%1$d
              PidFile %2$s/apache2.pid
              ErrorLog %3$s
              DefaultRuntimeDir %2$s
              Mutex file:%2$s default
              User www-data
              Group www-data
              %4$s
              <VirtualHost 127.0.0.1:%1$d>
              %5$s
              </VirtualHost>
              """
                  .formatted(port, dir, errorLog, includes, site));
          return List.of(APACHE.toString(), "-f", config.toString(), "-DFOREGROUND");
        });
  }

  /** nginx with {@code server} inside its one {@code server { }} block. */
  public static FrontServer nginx(Path dir, String server) throws Exception {
    Files.createDirectories(dir.resolve("temp"));
    Path config = dir.resolve("nginx.conf");
    Path errorLog = dir.resolve("error.log");
    return start(
        "nginx",
        dir,
        errorLog,
        port -> {
          Files.writeString(
              config,
              """
              daemon off;
              worker_processes 1;
              user www-data;
              pid %2$s/nginx.pid;
              error_log %3$s;
              events {}
              http {
                  access_log off;
                  client_body_temp_path %2$s/temp/body;
                  proxy_temp_path %2$s/temp/proxy;
                  fastcgi_temp_path %2$s/temp/fastcgi;
                  uwsgi_temp_path %2$s/temp/uwsgi;
                  scgi_temp_path %2$s/temp/scgi;
                  server {
                      listen 127.0.0.1:%1$d;
              %4$s
                  }
              }
              """
                  .formatted(port, dir, errorLog, server));
          return List.of(
              NGINX.toString(),
              "-c",
              config.toString(),
              "-p",
              dir + "/",
              "-e",
              errorLog.toString());
        });
  }

  /** The command line that starts the server on {@code port}, its config written. */
  @FunctionalInterface
  private interface Launch {
    List<String> on(int port) throws Exception;
  }

  /** Starts it on a free port, another one if that was taken meanwhile; waits until it accepts. */
  private static FrontServer start(String name, Path dir, Path errorLog, Launch launch)
      throws Exception {
    for (int attempt = 1; ; attempt++) {
      int port = BerthProcess.freePort();
      ProcessBuilder builder =
          new ProcessBuilder(launch.on(port))
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve(name + ".out").toFile());
      FrontServer server =
          new FrontServer(name, LeftoverProcesses.mark(builder).start(), port, errorLog);
      try {
        Await.until(name + " to accept on port " + port, server::accepts);
        return server;
      } catch (AssertionError e) {
        server.close();
        String said = server.output(dir);
        if (attempt == 3 || !said.contains("in use")) {
          throw new AssertionError(name + " did not start:\n" + said, e);
        }
      }
    }
  }

  private boolean accepts() throws IOException {
    if (!process.isAlive()) {
      throw new IOException(name + " exited with " + process.exitValue());
    }
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private String output(Path dir) {
    StringBuilder said = new StringBuilder();
    for (Path file : List.of(dir.resolve(name + ".out"), errorLog)) {
      try {
        said.append(Files.readString(file));
      } catch (IOException e) {
        // not written
      }
    }
    return said.toString();
  }

  public String name() {
    return name;
  }

  /** {@code http://127.0.0.1:PORT} followed by {@code path}. */
  public String url(String path) {
    return "http://127.0.0.1:" + port + requireNonNull(path, "path");
  }

  /** What the server logged of its errors so far, for a failed assertion's message. */
  public String errorLog() {
    try {
      return Files.readString(errorLog);
    } catch (IOException e) {
      return "(no error log: " + e.getMessage() + ")";
    }
  }

  /** SIGTERM (both stop their workers on it), then SIGKILL for whatever is left. */
  @Override
  public void close() throws InterruptedException {
    List<ProcessHandle> tree = process.descendants().toList();
    process.toHandle().destroy();
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
    tree.forEach(ProcessHandle::destroyForcibly);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
  }

  @Override
  public String toString() {
    return name + " on port " + port;
  }
}
