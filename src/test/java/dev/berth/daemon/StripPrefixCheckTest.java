package dev.berth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Which commands run a server whose app would link out of a stripped prefix, and the way out for
 * each: SCRIPT_NAME for gunicorn and uWSGI, their option for uvicorn, daphne and waitress.
 */
class StripPrefixCheckTest {

  @Test
  void gunicornAndUwsgiAreToldToLeaveStripPrefixOff() {
    assertThat(StripPrefixCheck.advice("gunicorn -w 2 mysite.wsgi", "/blog"))
        .contains(
            "gunicorn: its pages would link out of /blog (strip_prefix rewrites only redirects);"
                + " leave strip_prefix off: berth passes the prefix as SCRIPT_NAME and"
                + " X-Forwarded-Prefix, and gunicorn makes it the mount point");
    assertThat(StripPrefixCheck.advice("/srv/venv/bin/uwsgi --http-socket :8000", "/blog"))
        .hasValueSatisfying(advice -> assertThat(advice).startsWith("uwsgi: its pages"));
  }

  @Test
  void theProgramIsFoundAfterAssignmentsExecAndEnvAndAsAPythonModule() {
    assertThat(StripPrefixCheck.advice("FOO=1 exec gunicorn app:app", "/a")).isPresent();
    assertThat(StripPrefixCheck.advice("env FOO=1 gunicorn app:app", "/a")).isPresent();
    assertThat(StripPrefixCheck.advice(".venv/bin/python -m gunicorn app:app", "/a")).isPresent();
    assertThat(StripPrefixCheck.advice("/usr/bin/python3.11 -m uvicorn app:app", "/a"))
        .hasValueSatisfying(advice -> assertThat(advice).startsWith("uvicorn: "));
  }

  @Test
  void serversToldTheirMountPointByAnOptionAreToldWhichUnlessTheyHaveIt() {
    assertThat(StripPrefixCheck.advice("uvicorn app:app --uds $PORT", "/api"))
        .hasValueSatisfying(
            advice -> assertThat(advice).endsWith("; start uvicorn with --root-path=/api"));
    assertThat(StripPrefixCheck.advice("uvicorn app:app --root-path /api", "/api")).isEmpty();
    assertThat(StripPrefixCheck.advice("daphne --root-path=/api mysite.asgi:application", "/api"))
        .isEmpty();
    assertThat(StripPrefixCheck.advice("daphne mysite.asgi:application", "/api"))
        .hasValueSatisfying(
            advice -> assertThat(advice).endsWith("start daphne with --root-path=/api"));
    assertThat(StripPrefixCheck.advice("waitress-serve --port=$PORT app:app", "/api"))
        .hasValueSatisfying(
            advice -> assertThat(advice).endsWith("; start waitress with --url-prefix=/api"));
    assertThat(StripPrefixCheck.advice("waitress-serve --url-prefix=/api app:app", "/api"))
        .isEmpty();
  }

  @Test
  void otherProgramsAndNamesThatOnlyLookAlikeGetNoWarning() {
    assertThat(StripPrefixCheck.advice("/usr/bin/python3 app.py", "/a")).isEmpty();
    assertThat(StripPrefixCheck.advice("node server.js --gunicorn", "/a")).isEmpty();
    assertThat(StripPrefixCheck.advice("gunicorn-ish app", "/a")).isEmpty();
    assertThat(StripPrefixCheck.advice("python3 -m http.server", "/a")).isEmpty();
    assertThat(StripPrefixCheck.advice("", "/a")).isEmpty();
  }
}
