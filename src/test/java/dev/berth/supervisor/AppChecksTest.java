package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.App;
import dev.berth.config.UserAccount;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What is checked before an app starts, and the PATH its processes get. */
class AppChecksTest {

  @TempDir Path tmp;

  @Test
  void theProgramIsTheFirstWordAfterAssignmentsAndExec() {
    assertThat(AppChecks.program("gunicorn wsgi:app")).contains("gunicorn");
    assertThat(AppChecks.program("  FOO=1 BAR=x exec /usr/bin/gunicorn -w 2"))
        .contains("/usr/bin/gunicorn");
    assertThat(AppChecks.program("venv/bin/gunicorn app:app")).contains("venv/bin/gunicorn");
    assertThat(AppChecks.program("no-such-program --flag")).contains("no-such-program");
  }

  @Test
  void whatTheShellRunsOrExpandsItselfIsNotChecked() {
    assertThat(AppChecks.program("cd sub && gunicorn app:app")).isEmpty();
    assertThat(AppChecks.program("$HOME/bin/app")).isEmpty();
    assertThat(AppChecks.program("\"/opt/my app/run\"")).isEmpty();
    assertThat(AppChecks.program("(cd x; ./run)")).isEmpty();
    assertThat(AppChecks.program("~/bin/app")).isEmpty();
    assertThat(AppChecks.program("exec")).isEmpty();
    assertThat(AppChecks.program("")).isEmpty();
  }

  @Test
  void aSwitchedUserGetsTheSystemPathUnlessTheAppSetsOne() throws Exception {
    UserAccount someone = new UserAccount("someone", 1234, 1234, "/nonexistent");
    App plain = app(tmp, "gunicorn app:app", Map.of());
    assertThat(ChildPath.of(plain, Map.of(), Optional.of(someone), "/root/.pyenv/shims:/usr/bin"))
        .isEqualTo("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    assertThat(ChildPath.of(plain, Map.of(), Optional.empty(), "/root/.pyenv/shims:/usr/bin"))
        .as("an app that runs as berth itself inherits berth's PATH")
        .isEqualTo("/root/.pyenv/shims:/usr/bin");

    // The app's own PATH wins, from any of its layers, the latest layer first.
    Files.writeString(tmp.resolve(".env"), "PATH=/from/dotenv:/usr/bin\n");
    assertThat(ChildPath.of(plain, Map.of(), Optional.of(someone), "/root/bin"))
        .isEqualTo("/from/dotenv:/usr/bin");
    App withEnv = app(tmp, "gunicorn app:app", Map.of("PATH", "/from/config"));
    assertThat(ChildPath.of(withEnv, Map.of(), Optional.of(someone), "/root/bin"))
        .isEqualTo("/from/config");
    assertThat(ChildPath.of(withEnv, Map.of("PATH", "/from/env/set"), Optional.of(someone), null))
        .isEqualTo("/from/env/set");

    // The launch sets the same default before the app's variables are laid over it.
    Map<String, String> env = new java.util.HashMap<>(Map.of("PATH", "/root/.pyenv/shims"));
    ChildPath.forUser(env, Optional.of(someone));
    assertThat(env).containsEntry("PATH", ChildPath.SYSTEM_DEFAULT);
    env.put("PATH", "/root/bin");
    ChildPath.forUser(env, Optional.empty());
    assertThat(env).containsEntry("PATH", "/root/bin");
  }

  @Test
  void aMissingProgramIsAnErrorNamingTheUserAndPath() throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    App app =
        app(
            tmp,
            "no-such-program --flag",
            Map.of("PATH", "/usr/bin:/bin"),
            new App.ProcessType("worker", "exec /usr/bin/python3 worker.py", 1),
            new App.ProcessType("mailer", "./mail.sh", 1));
    List<AppChecks.Finding> findings = AppChecks.of(app, Map.of());
    String user = AppUser.name(AppUser.of(app));
    assertThat(findings)
        .contains(
            new AppChecks.Finding(
                List.of("command"),
                "no-such-program: not found for user " + user + " (PATH=/usr/bin:/bin)"),
            new AppChecks.Finding(
                List.of("processes", "mailer", "command"),
                "./mail.sh: not found for user " + user));
    assertThat(findings).noneMatch(f -> f.key().contains("worker"));

    // A script there, but not executable, is no better; executable, it is found.
    Path script = Files.writeString(tmp.resolve("mail.sh"), "#!/bin/sh\n");
    assertThat(AppChecks.of(app, Map.of())).anyMatch(f -> f.key().contains("mailer"));
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    assertThat(AppChecks.of(app, Map.of())).noneMatch(f -> f.key().contains("mailer"));
  }

  @Test
  void asRootTheCheckIsMadeAsTheAppsUser() throws Exception {
    Assumptions.assumeTrue(UserAccount.currentUid() == 0, "needs root");
    // A program root can run but nobody cannot reach (a directory closed to others on the way).
    Path closed = Files.createDirectories(tmp.resolve("closed/bin"));
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(
        tmp.resolve("closed"), PosixFilePermissions.fromString("rwx------"));
    Path program = Files.writeString(closed.resolve("serve"), "#!/bin/sh\n");
    Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xr-x"));
    App asNobody = app(tmp, "serve", Map.of("PATH", closed + ":/usr/bin"));
    assertThat(AppChecks.of(asNobody, Map.of()))
        .contains(
            new AppChecks.Finding(
                List.of("command"),
                "serve: not found for user nobody (PATH=" + closed + ":/usr/bin)"));
    App asRoot = app(tmp, "serve", Map.of("PATH", closed + ":/usr/bin"), "root");
    assertThat(AppChecks.of(asRoot, Map.of())).isEmpty();
    assertThat(AppChecks.commandErrors(asNobody, Map.of()))
        .containsExactly("web: serve: not found for user nobody (PATH=" + closed + ":/usr/bin)");

    // root's PATH (here: pyenv's shims first) is not nobody's: gunicorn is found in /usr/bin.
    assertThat(AppChecks.commandErrors(app(tmp, "gunicorn app:app", Map.of()), Map.of())).isEmpty();
  }

  @Test
  void aScriptWhoseInterpreterTheUserCannotRunIsAnError() throws Exception {
    Assumptions.assumeTrue(UserAccount.currentUid() == 0, "needs root");
    // A virtualenv made in a folder closed to nobody: its scripts name its python by that path,
    // even once the folder is copied into a release nobody can read.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path venv = Files.createDirectories(tmp.resolve("closed/venv/bin"));
    Files.setPosixFilePermissions(
        tmp.resolve("closed"), PosixFilePermissions.fromString("rwx------"));
    Files.createSymbolicLink(venv.resolve("python"), Path.of("/usr/bin/python3"));
    Path release = Files.createDirectories(tmp.resolve("release/bin"));
    Path script =
        Files.writeString(
            release.resolve("gunicorn"), "#!" + venv.resolve("python") + "\nimport sys\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    App app = app(tmp.resolve("release"), "bin/gunicorn app:app", Map.of());
    assertThat(AppChecks.commandErrors(app, Map.of()))
        .singleElement()
        .asString()
        .startsWith(
            "web: bin/gunicorn: its interpreter "
                + venv.resolve("python")
                + " (its #! line) cannot be run by user nobody; ");

    // With an interpreter nobody can run (and a space after #!), the script is fine.
    Files.writeString(script, "#! /usr/bin/python3 -u\nimport sys\n");
    assertThat(AppChecks.commandErrors(app, Map.of())).isEmpty();
  }

  private static App app(Path dir, String command, Map<String, String> env, App.ProcessType... p) {
    return app(dir, command, env, null, p);
  }

  private static App app(
      Path dir, String command, Map<String, String> env, String user, App.ProcessType... p) {
    return new App(
        "web",
        new App.Run(
            dir,
            command,
            1,
            env,
            App.SocketKind.UNIX,
            Duration.ofSeconds(10),
            Duration.ofSeconds(10),
            new App.Restarts(5, Duration.ofMinutes(1)),
            Duration.ofSeconds(10),
            List.of(p),
            null,
            App.Recycle.NONE,
            user,
            App.DEFAULT_LOG_RATE_LIMIT),
        new App.Backend(App.Balance.ROUND_ROBIN, null, 0, Duration.ofSeconds(60), 1, List.of()),
        App.Deploy.NONE,
        Map.of());
  }
}
