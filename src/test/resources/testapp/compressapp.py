"""A Flask app for CompressionEndToEndTest: responses berth compresses, and those it must not."""
import gzip
import threading

from flask import Flask, Response, request

app = Flask(__name__)


def text(size):
    """size bytes of text that compresses well but not to nothing: numbered lines."""
    out = []
    total = 0
    i = 0
    while total < size:
        line = "line %d: the quick brown fox jumps over the lazy dog\n" % i
        out.append(line)
        total += len(line)
        i += 1
    return "".join(out)[:size]


@app.route("/text")
def plain():
    return Response(text(int(request.args.get("size", "20000"))), mimetype="text/plain")


@app.route("/json")
def json_body():
    body = "[" + ",".join('{"id": %d, "name": "item %d"}' % (i, i) for i in range(2000)) + "]"
    return Response(body, mimetype="application/json")


@app.route("/etag")
def etag():
    response = Response(text(5000), mimetype="text/html")
    response.headers["ETag"] = '"v1"'
    response.headers["Vary"] = "Cookie"
    return response


@app.route("/chunked")
def chunked():
    """A body without Content-Length, in pieces."""
    def pieces():
        for i in range(50):
            yield text(1000).replace("line", "piece %d line" % i)
    return Response(pieces(), mimetype="text/html")


@app.route("/image")
def image():
    """Text, as the test reads bodies as UTF-8; what matters is its type."""
    return Response(text(5000), mimetype="image/png")


@app.route("/encoded")
def encoded():
    response = Response(gzip.compress(text(5000).encode()), mimetype="text/plain")
    response.headers["Content-Encoding"] = "gzip"
    return response


@app.route("/partial")
def partial():
    body = text(20000)[100:5100]
    response = Response(body, status=206, mimetype="text/plain")
    response.headers["Content-Range"] = "bytes 100-5099/20000"
    return response


@app.route("/notransform")
def no_transform():
    response = Response(text(5000), mimetype="text/plain")
    response.headers["Cache-Control"] = "public, no-transform"
    return response


acks = {}
acks_lock = threading.Lock()


def ack_event(stream, n):
    with acks_lock:
        return acks.setdefault((stream, n), threading.Event())


@app.route("/events/<stream>")
def events(stream):
    """Server-Sent Events: event n+1 is sent only after the client acked event n (/ack)."""
    count = int(request.args.get("count", "3"))

    def generate():
        for n in range(count):
            yield "id: %d\ndata: event %d %s\n\n" % (n, n, "x" * 300)
            if not ack_event(stream, n).wait(30):
                return
    return Response(generate(), mimetype="text/event-stream")


@app.route("/ack/<stream>/<int:n>", methods=["POST"])
def ack(stream, n):
    ack_event(stream, n).set()
    return "ok\n"
