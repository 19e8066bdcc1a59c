#!/usr/bin/python3
"""Helpers for bench/memory.sh (stdlib only).

  conns.py idle PORT PATH N
      Opens N keep-alive connections to 127.0.0.1:PORT, sends one GET PATH on each and reads the
      whole response, keeping every connection open. Prints "open=N ok=K failed=F ms=T" when all
      are done, then holds the connections until SIGTERM/SIGINT or stdin closes.
  conns.py startup PORT PATH -- COMMAND...
      Starts COMMAND and polls http://127.0.0.1:PORT/PATH until it answers 200. Prints the time from
      the start of COMMAND to that answer ("ms=T", and "serving_on_ms=S" for when COMMAND printed
      "serving on"), then stops COMMAND (SIGTERM, SIGKILL after 10 s).
"""
import errno
import os
import resource
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time


def request(path):
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: berth-bench\r\n\r\n".encode()


def complete(buf):
    """(status, done) for the response bytes read so far (Content-Length framing only)."""
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return None, False
    head = buf[:head_end].decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    length = 0
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    return status, len(buf) >= head_end + 4 + length


def idle(port, path, n, batch=500):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    req = request(path)
    sel = selectors.DefaultSelector()
    kept, ok, failed, statuses = [], 0, 0, {}
    t0 = time.monotonic()
    opened = 0
    while opened < n:
        pending = {}
        for _ in range(min(batch, n - opened)):
            s = socket.socket()
            s.setblocking(False)
            err = s.connect_ex(("127.0.0.1", port))
            if err not in (0, errno.EINPROGRESS):
                failed += 1
                s.close()
                continue
            pending[s] = [b"", False]  # response so far, request sent
            sel.register(s, selectors.EVENT_WRITE)
        opened += min(batch, n - opened)
        deadline = time.monotonic() + 30
        while pending and time.monotonic() < deadline:
            for key, ev in sel.select(timeout=1):
                s = key.fileobj
                st = pending[s]
                try:
                    if not st[1]:
                        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                        if err:
                            raise OSError(err, os.strerror(err))
                        s.send(req)
                        st[1] = True
                        sel.modify(s, selectors.EVENT_READ)
                        continue
                    data = s.recv(65536)
                    if not data:
                        raise OSError("closed by peer")
                    st[0] += data
                    status, done = complete(st[0])
                    if done:
                        statuses[status] = statuses.get(status, 0) + 1
                        sel.unregister(s)
                        del pending[s]
                        kept.append(s)
                        ok += status == 200
                except OSError as e:
                    statuses[str(e)] = statuses.get(str(e), 0) + 1
                    failed += 1
                    sel.unregister(s)
                    del pending[s]
                    s.close()
        for s in pending:  # timed out
            failed += 1
            statuses["timeout"] = statuses.get("timeout", 0) + 1
            sel.unregister(s)
            s.close()
    ms = (time.monotonic() - t0) * 1000
    print(f"open={len(kept)} ok={ok} failed={failed} ms={ms:.0f} statuses={statuses}", flush=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        # Wait; meanwhile notice connections the server closes.
        for s in kept:
            sel.register(s, selectors.EVENT_READ)
        closed = 0
        while True:
            for key, _ in sel.select(timeout=1):
                try:
                    data = key.fileobj.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    closed += 1
                    sel.unregister(key.fileobj)
                    print(f"server closed a connection (closed so far: {closed})", flush=True)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        for s in kept:
            s.close()


def startup(port, path, cmd):
    req = request(path)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))  # so that finally stops COMMAND
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    said = []  # when the command printed "serving on"

    def watch():
        for line in proc.stdout:
            if b"serving on" in line and not said:
                said.append(time.monotonic())

    threading.Thread(target=watch, daemon=True).start()
    try:
        deadline = t0 + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                sys.exit(f"command exited with {proc.returncode} before answering")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                    s.sendall(req)
                    buf = b""
                    while True:
                        data = s.recv(65536)
                        if not data:
                            break
                        buf += data
                        status, done = complete(buf)
                        if done:
                            break
                    if complete(buf)[0] == 200:
                        t = time.monotonic()
                        serving = f"{(said[0] - t0) * 1000:.0f}" if said else "?"
                        print(f"ms={(t - t0) * 1000:.0f} serving_on_ms={serving}", flush=True)
                        return
            except OSError:
                pass
            time.sleep(0.002)
        sys.exit("no 200 within 30 s")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    mode, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if mode == "idle":
        idle(port, path, int(sys.argv[4]))
    elif mode == "startup":
        startup(port, path, sys.argv[sys.argv.index("--") + 1:])
    else:
        sys.exit(__doc__)
