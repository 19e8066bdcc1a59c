"""A small HTTP/1.1 server for berth's edge tests, written on raw sockets so that it can misbehave
on purpose: hang, reset, send malformed responses, answer early, stream huge bodies.

Listens on $BERTH_SOCKET (unix) or $PORT (TCP), or on the path/port given as the first argument.
Every request's first line is appended to $REQUEST_LOG if set, so tests can tell what reached it.
"""
import os
import socket
import tempfile
import struct
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

CONNECTIONS = [0]
LOCK = threading.Lock()
REQUEST_LOG = os.environ.get("REQUEST_LOG")
HEALTH_FLAG = os.environ.get("HEALTH_FLAG")
NAME = os.environ.get("BERTH_INSTANCE") or os.environ.get("NAME", "raw")


def read_head(conn, buf):
    while b"\r\n\r\n" not in buf:
        data = conn.recv(65536)
        if not data:
            return None, buf
        buf += data
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def read_body(conn, headers, rest, sink):
    """Reads the request body, handing each piece to sink; returns bytes left over after it."""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        buf = rest
        while True:
            while b"\r\n" not in buf:
                buf += conn.recv(65536)
            line, buf = buf.split(b"\r\n", 1)
            size = int(line.split(b";")[0], 16)
            if size == 0:
                while b"\r\n" not in buf:
                    buf += conn.recv(65536)
                return buf.split(b"\r\n", 1)[1]
            while len(buf) < size + 2:
                buf += conn.recv(65536)
            sink(buf[:size])
            buf = buf[size + 2:]
    length = int(headers.get("content-length", "0"))
    sink(rest[:length])
    left = length - min(length, len(rest))
    extra = rest[length:]
    while left > 0:
        data = conn.recv(min(left, 1 << 20))
        if not data:
            break
        sink(data)
        left -= len(data)
    return extra


def respond(conn, status, body=b"", headers=()):
    head = "HTTP/1.1 %s\r\nContent-Length: %d\r\n" % (status, len(body))
    for name, value in headers:
        head += "%s: %s\r\n" % (name, value)
    conn.sendall(head.encode("latin-1") + b"\r\n" + body)


def handle(conn, conn_id):
    buf = b""
    served = 0
    while True:
        head, buf = read_head(conn, buf)
        if head is None:
            return
        lines = head.split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        if REQUEST_LOG:
            with open(REQUEST_LOG, "a") as log:
                log.write(lines[0] + "\n")
        url = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path
        served += 1

        if path == "/reset":
            # An abortive close: the client sees a reset, not an answer.
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
            return
        if path == "/hang":
            time.sleep(3600)
            return
        if path == "/early":
            # Answers before reading the body, as an app refusing an upload does, then closes the
            # way a careful server does (nginx's lingering close): stop sending, drain what the
            # client still sends, so the kernel does not reset the connection under the answer.
            respond(conn, "413 Payload Too Large", b"too large\n", [("Connection", "close")])
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(5)
            while conn.recv(65536):
                pass
            return
        count = [0]
        buf = read_body(conn, headers, buf, lambda piece: count.__setitem__(0, count[0] + len(piece)))

        if path == "/conn":
            respond(conn, "200 OK", ("%s %d %d\n" % (NAME, conn_id, served)).encode())
        elif path == "/headers":
            body = "".join("%s: %s\n" % kv for kv in sorted(headers.items())).encode()
            respond(conn, "200 OK", body)
        elif path == "/sink":
            respond(conn, "200 OK", ("%d\n" % count[0]).encode())
        elif path == "/big":
            size = int(query.get("size", "0"))
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
            block = b"x" * (1 << 20)
            while size > 0:
                n = min(size, len(block))
                conn.sendall(block[:n])
                size -= n
        elif path == "/bigfile":
            # The same body from a (sparse) file by sendfile(2), as nginx serves a static file: it
            # arrives faster than a loop of sends can make it.
            size = int(query.get("size", "0"))
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
            with tempfile.TemporaryFile() as f:
                f.truncate(size)
                conn.sendfile(f)
        elif path == "/drip":
            # A head split over two sends and a body in pieces with pauses: each piece arrives on
            # a socket the proxy has already read empty.
            pieces = int(query.get("pieces", "5"))
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            time.sleep(0.05)
            conn.sendall(b"Content-Length: %d\r\n\r\n" % (pieces * 6))
            for _ in range(pieces):
                time.sleep(0.05)
                conn.sendall(b"piece\n")
        elif path == "/malformed":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")
            return
        elif path == "/te-gzip":
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc")
            conn.close()
            return
        elif path == "/nolength":
            conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end\n")
            conn.close()
            return
        elif path == "/interim":
            conn.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
            respond(conn, "200 OK", b"final\n")
        elif path == "/location":
            respond(conn, "302 Found", b"", [("Location", query.get("to", "/login"))])
        elif path == "/health":
            if HEALTH_FLAG and os.path.exists(HEALTH_FLAG + "-" + NAME):
                respond(conn, "503 Service Unavailable", b"sick\n")
            else:
                respond(conn, "200 OK", b"ok\n")
        elif path.endswith("/sse"):
            # Server-Sent Events, one at a time: event i (after the first) is sent only once the
            # file ack-i exists in ?dir=, which the test makes after it read event i-1.
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            for i in range(int(query.get("n", "3"))):
                deadline = time.time() + 60
                while i > 0 and not os.path.exists(os.path.join(query["dir"], "ack-%d" % i)):
                    if time.time() > deadline:
                        return
                    time.sleep(0.02)
                event = b"id: %d\ndata: event %d\n\n" % (i, i)
                conn.sendall(b"%x\r\n%s\r\n" % (len(event), event))
            conn.sendall(b"0\r\n\r\n")
        elif path == "/slow":
            time.sleep(float(query.get("seconds", "1")))
            respond(conn, "200 OK", ("%s slow\n" % NAME).encode())
        else:
            respond(conn, "200 OK", ("%s %s %s\n" % (NAME, method, target)).encode())
        if headers.get("connection", "").lower() == "close":
            conn.close()
            return


def serve(listener):
    while True:
        conn, _ = listener.accept()
        with LOCK:
            CONNECTIONS[0] += 1
            conn_id = CONNECTIONS[0]
        threading.Thread(target=guarded, args=(conn, conn_id), daemon=True).start()


def guarded(conn, conn_id):
    try:
        handle(conn, conn_id)
    except (OSError, ValueError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    where = sys.argv[1] if len(sys.argv) > 1 else (os.environ.get("BERTH_SOCKET") or os.environ["PORT"])
    if where.isdigit():
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", int(where)))
    else:
        if os.path.exists(where):
            os.unlink(where)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(where)
    listener.listen(128)
    print("rawserver %s listening on %s" % (NAME, where), flush=True)
    serve(listener)


if __name__ == "__main__":
    main()
