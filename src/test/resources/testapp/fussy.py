"""A WSGI app as fussy as Django in production, for the tests of berth's readiness and health checks.

- ALLOWED_HOST (environment): a request with any other Host gets a 400, as Django's ALLOWED_HOSTS.
- A file ANSWER_500 in its working directory: every request gets a 500, as a release whose
  migrations have not run ("no such table").
- /first: the first request this worker took (berth's readiness probe): its Host, SCRIPT_NAME,
  PATH_INFO and forwarding fields, as Django would have cached its script prefix from it.
- /checks: how many of berth's health checks came, and how many of them it refused.
- /version: the VERSION file in its working directory.
"""
import json
import os

FIELDS = (
    "HTTP_HOST",
    "SCRIPT_NAME",
    "PATH_INFO",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_USER_AGENT",
)

first = None
checks = {"passed": 0, "refused": 0}


def answer(environ):
    """The status and body for this request."""
    if os.path.exists("ANSWER_500"):
        return "500 Internal Server Error", "OperationalError: no such table: notes_note\n"
    host = environ.get("HTTP_HOST", "").split(":")[0]
    allowed = os.environ.get("ALLOWED_HOST")
    if allowed and host != allowed:
        return "400 Bad Request", "Invalid HTTP_HOST header: %r\n" % host
    path = environ.get("PATH_INFO", "")
    if path == "/first":
        return "200 OK", json.dumps(first)
    if path == "/checks":
        return "200 OK", json.dumps(checks)
    if path == "/version":
        with open("VERSION") as f:
            return "200 OK", f.read()
    return "200 OK", "fussy at %s\n" % (environ.get("SCRIPT_NAME", "") + path)


def app(environ, start_response):
    global first
    if first is None:
        first = {name: environ.get(name, "") for name in FIELDS}
    status, body = answer(environ)
    if environ.get("HTTP_USER_AGENT") == "berth-health-check":
        checks["passed" if status.startswith("2") else "refused"] += 1
    data = body.encode()
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])
    return [data]
