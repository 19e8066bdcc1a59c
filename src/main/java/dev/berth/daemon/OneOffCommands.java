package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.control.CommandRegistry;
import dev.berth.control.ControlException;
import dev.berth.control.Request;
import dev.berth.deploy.Deployer;
import dev.berth.deploy.Releases;
import dev.berth.supervisor.OneOffs;
import dev.berth.supervisor.Supervisor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The control commands of {@code berth run} (docs/control-protocol.md): {@code run_spec} gives the
 * CLI what it needs to run a one-off in the foreground itself (directory, argv, environment: the
 * app's secrets, which travel only over the private control socket); {@code run_detach} starts one
 * here, in the background.
 */
final class OneOffCommands {

  private final Supervisor supervisor;
  private final Deployer deployer;

  OneOffCommands(Supervisor supervisor, Deployer deployer) {
    this.supervisor = requireNonNull(supervisor, "supervisor");
    this.deployer = requireNonNull(deployer, "deployer");
  }

  void registerIn(CommandRegistry registry) {
    registry
        .register(
            "run_spec",
            (request, replies) -> {
              What what = what(request);
              OneOffs.Spec spec;
              try {
                spec = supervisor.oneOffs().spec(what.app, what.type, what.command);
              } catch (IllegalArgumentException e) {
                throw new ControlException(ControlException.BAD_REQUEST, e.getMessage());
              } catch (IOException e) {
                throw new ControlException(
                    ControlException.FAILED, what.app + ": " + e.getMessage());
              }
              Map<String, Object> result = result(what);
              result.put("dir", spec.dir().toString());
              result.put("user", spec.user());
              result.put("argv", spec.argv());
              result.put("env", spec.env());
              replies.result(result);
            })
        .register(
            "run_detach",
            (request, replies) -> {
              What what = what(request);
              OneOffs.Started started;
              try {
                started = supervisor.oneOffs().detach(what.app, what.type, what.command);
              } catch (IllegalArgumentException e) {
                throw new ControlException(ControlException.BAD_REQUEST, e.getMessage());
              } catch (IOException e) {
                throw new ControlException(
                    ControlException.FAILED, what.app + ": cannot start: " + e.getMessage());
              }
              Map<String, Object> result = result(what);
              result.put("tag", started.tag());
              result.put("pid", started.pid());
              replies.result(result);
            });
  }

  /** A request's app (run by berth, in its current release), process type and command. */
  private record What(String app, String type, List<String> command, int release) {}

  /** args: app, type (optional), command (a non-empty array of strings). */
  private What what(Request request) throws ControlException {
    String app = request.requireText("app");
    if (!supervisor.runs(app)) {
      throw new ControlException(
          ControlException.NOT_FOUND, "no app \"" + app + "\" run by this berth");
    }
    JsonNode args = request.args().path("command");
    List<String> command = new ArrayList<>();
    args.forEach(arg -> command.add(arg.isTextual() ? arg.textValue() : null));
    if (!args.isArray() || command.isEmpty() || command.contains(null)) {
      throw new ControlException(
          ControlException.BAD_REQUEST,
          request.command() + ": command must be a non-empty array of strings");
    }
    return new What(app, request.text("type").orElse(null), command, release(app));
  }

  /** The app's current release, which its instances run from; refused when there is none. */
  private int release(String app) throws ControlException {
    Releases releases = deployer.releases(app);
    OptionalInt current = releases.current();
    Path dir = supervisor.oneOffs().dir(app);
    if (current.isEmpty() || !same(dir, releases.dir(current.getAsInt()))) {
      throw new ControlException(
          ControlException.FAILED,
          app + ": no current release to run in (its instances run from " + dir + ")");
    }
    return current.getAsInt();
  }

  private static boolean same(Path a, Path b) {
    return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
  }

  private static Map<String, Object> result(What what) {
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("app", what.app);
    result.put("release", what.release);
    return result;
  }
}
