"""A Flask app for berth's tests: endpoints that show what the edge forwarded, or misbehave."""
import os
import time

from flask import Flask, Response, jsonify, request, url_for

app = Flask(__name__)


@app.route("/", defaults={"rest": ""}, methods=["GET", "HEAD"])
@app.route("/page/<path:rest>", methods=["GET", "HEAD"])
def page(rest):
    return jsonify(app="testapp", rest=rest, instance=os.environ.get("BERTH_INSTANCE"),
                   url=url_for("page", rest=rest or None))


@app.route("/echo", methods=["GET", "POST", "PUT", "DELETE"])
def echo():
    return jsonify(
        method=request.method,
        path=request.path,
        full_path=request.full_path,
        script_root=request.script_root,
        headers={k.lower(): v for k, v in request.headers.items()},
        body_length=len(request.get_data()),
        env={k: v for k, v in os.environ.items() if k.startswith("BERTH_") or k in ("PORT", "GREETING")},
    )


@app.route("/slow")
def slow():
    """Sleeps; creates the file named by ?started= first, so a test knows the request is here.
    With ?until=stop, sleeps only until its gunicorn worker is told to stop (SIGTERM), then
    answers: a request that is still running when its instance is stopped, and finishes after."""
    seconds = float(request.args.get("seconds", "2"))
    started = request.args.get("started")
    if started:
        open(started, "w").close()
    if request.args.get("until") == "stop":
        deadline = time.monotonic() + seconds
        while _worker_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
    else:
        time.sleep(seconds)
    return "slept %s\n" % seconds


_worker = []


def _worker_alive():
    """Whether the gunicorn worker serving this request has not been told to stop: its SIGTERM
    handler clears the worker's alive flag, which is found once among the live objects."""
    if not _worker:
        import gc
        from gunicorn.workers.base import Worker
        _worker.extend(o for o in gc.get_objects() if isinstance(o, Worker))
    return all(w.alive for w in _worker)


@app.route("/stream")
def stream():
    """A body without Content-Length, sent in pieces."""
    count = int(request.args.get("chunks", "5"))

    def pieces():
        for i in range(count):
            yield "chunk %d\n" % i
    return Response(pieces(), mimetype="text/plain")


@app.route("/redirect")
def redirect_home():
    from flask import redirect
    return redirect(url_for("page"))


@app.route("/status/<int:code>")
def status(code):
    return Response(status=code)


@app.route("/print")
def print_line():
    """Writes ?line= to standard output, as an app's own log line (for berth logs -f)."""
    print(request.args.get("line", ""), flush=True)
    return "printed\n"


@app.route("/pid")
def pid():
    """The worker's pid and its parent's: under gunicorn, the master that berth started."""
    return jsonify(pid=os.getpid(), ppid=os.getppid(), instance=os.environ.get("BERTH_INSTANCE"))


@app.route("/env/<name>")
def env_var(name):
    """The variable as this worker's environment has it; 404 if it is not set."""
    value = os.environ.get(name)
    if value is None:
        return Response("%s is not set\n" % name, status=404, mimetype="text/plain")
    return Response(value, mimetype="text/plain")


_hogged = []


@app.route("/hog")
def hog():
    """Keeps mb MiB (touched, so resident) for as long as the worker lives."""
    mb = int(request.args.get("mb", "64"))
    _hogged.append(b"\x01" * (mb << 20))
    return jsonify(pid=os.getpid(), ppid=os.getppid(), hogged_mb=sum(len(b) for b in _hogged) >> 20)


@app.route("/whoami")
def whoami():
    """Who the app runs as: berth switches to the app's user when it runs as root."""
    return jsonify(uid=os.getuid(), gid=os.getgid(), home=os.environ.get("HOME"), user=os.environ.get("USER"))


@app.route("/version")
def version():
    """The VERSION file in the working directory: which release's code serves (deploy tests)."""
    try:
        with open("VERSION") as f:
            return Response(f.read().strip() + "\n", mimetype="text/plain")
    except FileNotFoundError:
        return Response("no VERSION file\n", status=404, mimetype="text/plain")
