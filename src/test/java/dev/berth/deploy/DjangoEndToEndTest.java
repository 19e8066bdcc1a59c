package dev.berth.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.UserAccount;
import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import dev.berth.testing.Curl;
import dev.berth.testing.Exec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Django 3.2 site (Debian's python3-django, gunicorn) as a Django user deploys it, with
 * production settings: {@code DEBUG = False}, a real-looking {@code ALLOWED_HOSTS}, {@code
 * collectstatic} as the build, {@code migrate} as the release phase, its static files served by
 * berth from the release. A root berth runs it as nobody, as docs/django.md tells.
 */
class DjangoEndToEndTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String HOST = "blog.example.com";
  private static final String MIGRATE = "/usr/bin/python3 manage.py migrate --noinput";

  /** Appended to the settings startproject wrote: what docs/django.md says to set. */
  private static final String SETTINGS =
      """

      # Production settings, as berth runs the site.
      import os

      DEBUG = False
      ALLOWED_HOSTS = ["blog.example.com"]
      SECRET_KEY = os.environ.get("SECRET_KEY", SECRET_KEY)
      INSTALLED_APPS += ["notes"]
      STATIC_URL = "static/"
      STATIC_ROOT = BASE_DIR / "staticfiles"
      STATICFILES_STORAGE = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
      DATABASES = {
          "default": {
              "ENGINE": "django.db.backends.sqlite3",
              "NAME": os.path.join(os.environ["BERTH_DATA_DIR"], "db.sqlite3"),
          }
      }
      """;

  /** The notes app's files (startapp made the rest). */
  private static final Map<String, String> NOTES =
      Map.of(
          "mysite/urls.py",
          """
          from django.contrib import admin
          from django.urls import include, path

          urlpatterns = [
              path("admin/", admin.site.urls),
              path("", include("notes.urls")),
          ]
          """,
          "notes/models.py",
          """
          from django.db import models


          class Note(models.Model):
              text = models.CharField(max_length=200)
          """,
          "notes/admin.py",
          """
          from django.contrib import admin

          from .models import Note

          admin.site.register(Note)
          """,
          "notes/views.py",
          """
          from django import forms
          from django.shortcuts import redirect, render

          from .models import Note


          class NoteForm(forms.ModelForm):
              class Meta:
                  model = Note
                  fields = ["text"]


          def index(request):
              form = NoteForm(request.POST or None)
              if request.method == "POST" and form.is_valid():
                  form.save()
                  return redirect("notes:index")
              notes = Note.objects.all()
              return render(request, "notes/index.html", {"form": form, "notes": notes})


          def page(request, number):
              return render(request, "notes/page.html", {"number": number, "next": number + 1})
          """,
          "notes/urls.py",
          """
          from django.urls import path

          from . import views

          app_name = "notes"
          urlpatterns = [
              path("", views.index, name="index"),
              path("page/<int:number>/", views.page, name="page"),
          ]
          """,
          "notes/templates/notes/index.html",
          """
          {% load static %}<!doctype html>
          <html><head><title>Notes</title>
          <link rel="stylesheet" href="{% static 'notes/style.css' %}"></head>
          <body>
          <ul>{% for note in notes %}<li class="note">{{ note.text }}</li>{% endfor %}</ul>
          <form method="post" action="{% url 'notes:index' %}">{% csrf_token %}{{ form }}
          <button>Add</button></form>
          <a href="{% url 'notes:page' 1 %}">pages</a> <a href="{% url 'admin:index' %}">admin</a>
          </body></html>
          """,
          "notes/templates/notes/page.html",
          """
          {% load static %}<!doctype html>
          <html><head><title>Page {{ number }}</title>
          <link rel="stylesheet" href="{% static 'notes/style.css' %}">
          <script src="{% static 'admin/js/core.js' %}"></script></head>
          <body><img src="{% static 'admin/img/icon-yes.svg' %}" alt="">
          <a href="{% url 'notes:index' %}">notes</a> <a href="{% url 'notes:page' next %}">next</a>
          <a href="{% url 'admin:login' %}">log in</a>
          </body></html>
          """,
          "notes/static/notes/style.css",
          "body { color: #123456; }\n");

  private static final Pattern TOKEN =
      Pattern.compile("name=\"csrfmiddlewaretoken\" value=\"([^\"]+)\"");
  private static final Pattern LINK = Pattern.compile("(?:href|src|action)=\"([^\"]*)\"");

  @TempDir Path tmp;
  private Path site;
  private Path config;
  private int port;
  private String prefix = "";

  @BeforeEach
  void site() throws Exception {
    Assumptions.assumeTrue(UserAccount.currentUid() == 0, "berth must run as root for this test");
    Assumptions.assumeTrue(
        Exec.run(tmp, "/usr/bin/python3", "-c", "import django").exit() == 0,
        "needs Debian's python3-django (scripts/install-deps.sh --tests)");
    // A root berth runs the site as nobody, who must pass through tmp to its release and data.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Exec.ok(tmp, "/usr/bin/python3", "-m", "django", "startproject", "mysite");
    site = tmp.resolve("mysite");
    Exec.ok(site, "/usr/bin/python3", "manage.py", "startapp", "notes");
    Files.writeString(
        site.resolve("mysite/settings.py"),
        Files.readString(site.resolve("mysite/settings.py")) + SETTINGS);
    for (Map.Entry<String, String> file : NOTES.entrySet()) {
      write(file.getKey(), file.getValue());
    }
    makeMigrations();
  }

  @Test
  void theFirstUpMigratesThenServesTheFormTheAdminAndItsCss() throws Exception {
    try (BerthProcess berth = up("/")) {
      String output = berth.output();
      // The release phase ran before the first instance: no page ever lacks its table.
      assertThat(output)
          .contains("berth: app mysite: release: " + MIGRATE)
          .contains("Applying notes.0001_initial... OK")
          .contains("Applying admin.0001_initial... OK");
      // Ready at all: the probe's Host is the route's, which production ALLOWED_HOSTS accepts.
      assertThat(output).containsPattern("berth: app mysite: ready, 1/1 instance\\(s\\)");
      assertThat(output.indexOf("Applying notes.0001_initial"))
          .isLessThan(output.indexOf("app mysite: ready"));

      Curl.Response index = get("/");
      assertThat(index.status()).as(index.body()).isEqualTo(200);
      assertThat(index.body()).contains("<title>Notes</title>");

      // The admin's login page and the CSS it links (a hashed name, ManifestStaticFilesStorage).
      Curl.Response login = get("/admin/login/");
      assertThat(login.status()).as(login.body()).isEqualTo(200);
      String baseCss = linkMatching(login.body(), "/static/admin/css/base\\.[0-9a-f]+\\.css");
      Curl.Response css = get(baseCss);
      assertThat(css.status()).isEqualTo(200);
      assertThat(css.header("content-type")).startsWith("text/css");
      assertThat(get("/static/admin/css/base.css").status()).isEqualTo(200);

      // The form, with the CSRF cookie and token of its page, makes a note.
      Path cookies = tmp.resolve("cookies.txt");
      Curl.Response form = get("/", "-c", cookies.toString());
      Matcher token = TOKEN.matcher(form.body());
      assertThat(token.find()).as(form.body()).isTrue();
      Curl.Response posted =
          get(
              "/",
              "-b",
              cookies.toString(),
              "--data-urlencode",
              "csrfmiddlewaretoken=" + token.group(1),
              "--data-urlencode",
              "text=first note");
      assertThat(posted.status()).as(posted.body()).isEqualTo(302);
      assertThat(get("/").body()).contains("<li class=\"note\">first note</li>");
      // Without the token, Django refuses it: CSRF protection is on.
      assertThat(get("/", "-b", cookies.toString(), "-d", "text=forged").status()).isEqualTo(403);

      // A one-off command with no terminal: its output passes through, its exit code comes back.
      Ran shown = berth("run", "mysite", "--", "/usr/bin/python3", "manage.py", "showmigrations");
      assertThat(shown.exit()).as(shown.output()).isZero();
      assertThat(shown.output()).contains("notes").contains("[X] 0001_initial");
    }
  }

  @Test
  void aFailedCollectstaticLeavesTheLiveCssAndAReleaseAnswering500IsRefused() throws Exception {
    try (BerthProcess berth = up("/")) {
      String liveCss = linkMatching(get("/").body(), "/static/notes/style\\.[0-9a-f]+\\.css");
      assertThat(get(liveCss).body()).contains("#123456");

      // collectstatic writes the new style.css, then fails on the file it refers to.
      write(
          "notes/static/notes/style.css",
          "body { color: #654321; background: url(\"missing.png\"); }\n");
      Cli failed = cli("deploy", "mysite");
      assertThat(failed.exit()).as(failed.out()).isNotZero();
      assertThat(failed.out() + failed.err()).contains("notes/missing.png' could not be found");
      assertThat(get("/static/notes/style.css").body()).contains("#123456");
      assertThat(get(liveCss).body()).contains("#123456");
      assertThat(linkMatching(get("/").body(), "/static/notes/style\\.[0-9a-f]+\\.css"))
          .isEqualTo(liveCss);

      // A release whose pages all answer 500 (a broken template) never takes the traffic.
      write("notes/static/notes/style.css", "body { color: #654321; }\n");
      write("notes/templates/notes/index.html", "{% load static %}{% if %}broken{% endif %}\n");
      Cli broken = cli("deploy", "mysite");
      assertThat(broken.exit()).as(broken.out()).isNotZero();
      assertThat(broken.out() + broken.err()).contains("500");
      Curl.Response index = get("/");
      assertThat(index.status()).isEqualTo(200);
      assertThat(index.body()).contains("<title>Notes</title>");
      assertThat(get("/static/notes/style.css").body()).contains("#123456");
    }
  }

  @Test
  void aNewMigrationAndStaticFileSwitchWithTheReleaseAndRollBackWithIt() throws Exception {
    try (BerthProcess berth = up("/")) {
      assertThat(get("/static/notes/new.css").status()).isEqualTo(404);

      // Release 2: a new column (its migration waits at a gate the test opens), a new file.
      write(
          "notes/models.py",
          """
          from django.db import models


          class Note(models.Model):
              text = models.CharField(max_length=200)
              done = models.BooleanField(default=False)
          """);
      write("notes/static/notes/new.css", "p { color: #00ff00; }\n");
      write("notes/static/notes/style.css", "body { color: #654321; }\n");
      makeMigrations();
      Path migration = site.resolve("notes/migrations/0002_note_done.py");
      Files.writeString(
          migration,
          Files.readString(migration)
              .replace(
                  "class Migration",
                  """
                  import os, time


                  def gate(apps, schema_editor):
                      data = os.environ["BERTH_DATA_DIR"]
                      open(os.path.join(data, "at-gate"), "w").close()
                      while not os.path.exists(os.path.join(data, "gate")):
                          time.sleep(0.1)


                  class Migration""")
              .replace(
                  "operations = [",
                  "operations = [\n        migrations.RunPython(gate, migrations.RunPython.noop),"));

      CompletableFuture<Cli> deploy = CompletableFuture.supplyAsync(() -> cli("deploy", "mysite"));
      Path data = tmp.resolve("state/data/mysite");
      Await.until(
          "release 2's migration waits at its gate",
          WAIT,
          () -> Files.exists(data.resolve("at-gate")));
      // Built, migrating, not switched: the new file is in the release, not served yet.
      assertThat(tmp.resolve("state/apps/mysite/releases/2/staticfiles/notes/new.css")).exists();
      assertThat(get("/static/notes/new.css").status()).isEqualTo(404);
      assertThat(get("/static/notes/style.css").body()).contains("#123456");
      Files.writeString(data.resolve("gate"), "");
      Cli deployed = deploy.get();
      assertThat(deployed.exit()).as(deployed.out() + deployed.err()).isZero();
      assertThat(get("/static/notes/new.css").body()).contains("#00ff00");
      assertThat(get("/static/notes/style.css").body()).contains("#654321");

      // The docs' pattern: the backwards migration from the current release, then the rollback.
      Ran back =
          berth("run", "mysite", "--", "/usr/bin/python3", "manage.py", "migrate", "notes", "0001");
      assertThat(back.exit()).as(back.output()).isZero();
      assertThat(back.output()).contains("Unapplying notes.0002_note_done... OK");
      Cli rollback = cli("rollback", "mysite");
      assertThat(rollback.exit()).as(rollback.out() + rollback.err()).isZero();
      assertThat(rollback.out()).contains("-----> release  not run again: " + MIGRATE);
      assertThat(get("/static/notes/new.css").status()).isEqualTo(404);
      assertThat(get("/static/notes/style.css").body()).contains("#123456");
      // Release 1's code writes to the schema it knows again.
      assertThat(postNote("after the rollback").status()).isEqualTo(302);
      assertThat(get("/").body()).contains("after the rollback");
    }
  }

  @Test
  void underAPrefixMountEveryLinkOfTwentyPagesCarriesThePrefix() throws Exception {
    try (BerthProcess berth = up("/blog")) {
      String next = "/blog/page/1/";
      for (int i = 1; i <= 20; i++) {
        Curl.Response page = get(next);
        assertThat(page.status()).as(next + ": " + page.body()).isEqualTo(200);
        List<String> links = links(page.body());
        assertThat(links).as(next).isNotEmpty().allMatch(l -> l.startsWith("/blog/"));
        next = linkMatching(page.body(), "/blog/page/" + (i + 1) + "/");
      }
      // The admin's pages and their CSS too.
      Curl.Response login = get("/blog/admin/login/");
      assertThat(links(login.body())).allMatch(l -> l.startsWith("/blog/"));
      String baseCss = linkMatching(login.body(), "/blog/static/admin/css/base\\.[0-9a-f]+\\.css");
      assertThat(get(baseCss).status()).isEqualTo(200);
    }
  }

  private BerthProcess up(String routePath) throws Exception {
    prefix = routePath.equals("/") ? "" : routePath;
    return BerthProcess.upOnFreePort(
        freePort -> {
          port = freePort;
          config =
              BerthProcess.write(
                  tmp.resolve("berth.toml"),
                  """
                  state_dir = "%1$s/state"

                  [[listeners]]
                  address = "127.0.0.1:%2$d"

                  [apps.mysite]
                  dir = "%3$s"
                  command = "/usr/bin/gunicorn --workers 2 mysite.wsgi"
                  build = "/usr/bin/python3 manage.py collectstatic --noinput"
                  release = "%4$s"
                  static = { "/static" = "staticfiles" }
                  health_check = { path = "/" }
                  start_timeout = "20s"
                  stop_timeout = "5s"
                  drain_timeout = "1s"

                  [[routes]]
                  host = "%5$s"
                  path = "%6$s"
                  app = "mysite"
                  """
                      .formatted(tmp, freePort, site, MIGRATE, HOST, routePath));
          return config;
        });
  }

  /** makemigrations as a developer runs it, before the deploy (its DB is not the site's). */
  private void makeMigrations() throws Exception {
    Path scratch = Files.createDirectories(tmp.resolve("dev-data"));
    Exec made =
        Exec.run(
            site,
            Map.of("BERTH_DATA_DIR", scratch.toString()),
            WAIT,
            List.of("/usr/bin/python3", "manage.py", "makemigrations", "notes"));
    assertThat(made.exit()).as(made.output()).isZero();
  }

  private void write(String path, String text) throws Exception {
    Path file = site.resolve(path);
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }

  private Cli cli(String... args) {
    return Cli.run(config, args);
  }

  private String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  /** A request to the site as a browser sends it: Host blog.example.com. */
  private Curl.Response get(String path, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("-H", "Host: " + HOST));
    all.addAll(List.of(args));
    return Curl.get(url(path), all.toArray(String[]::new));
  }

  private Curl.Response postNote(String text) throws Exception {
    Path cookies = Files.createTempFile(tmp, "cookies", ".txt");
    Matcher token = TOKEN.matcher(get(prefix + "/", "-c", cookies.toString()).body());
    assertThat(token.find()).isTrue();
    return get(
        prefix + "/",
        "-b",
        cookies.toString(),
        "--data-urlencode",
        "csrfmiddlewaretoken=" + token.group(1),
        "--data-urlencode",
        "text=" + text);
  }

  /** Every link of a page that is a path on this site (href, src, form action). */
  private static List<String> links(String html) {
    List<String> links = new ArrayList<>();
    Matcher link = LINK.matcher(html);
    while (link.find()) {
      if (link.group(1).startsWith("/")) {
        links.add(link.group(1));
      }
    }
    return links;
  }

  private static String linkMatching(String html, String regex) {
    return links(html).stream()
        .filter(l -> l.matches(regex))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no link matching " + regex + " in:\n" + html));
  }

  /** {@code berth ARGS} in a child JVM, standard input not a terminal. */
  private Ran berth(String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of(args[0], "--config", config.toString()));
    argv.addAll(List.of(args).subList(1, args.length));
    try (BerthProcess cli = BerthProcess.start(argv.toArray(String[]::new))) {
      int exit = cli.waitFor(WAIT);
      return new Ran(exit, cli.output());
    }
  }

  private record Ran(int exit, String output) {}
}
