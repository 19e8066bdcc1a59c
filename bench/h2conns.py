#!/usr/bin/python3
"""Idle TLS connections for bench/idle.sh: HTTP/2 (Debian's python3-h2) or HTTP/1.1.

  h2conns.py PROTO PORT PATH N
      PROTO is h2 or https1. Opens N TLS connections to 127.0.0.1:PORT (SNI localhost, the
      certificate not verified: the bench's own), offering ALPN PROTO only ("h2" or "http/1.1")
      and checking the server picked it. On each, one GET PATH: for h2 the client preface and
      SETTINGS first (h2's defaults), the server's SETTINGS acknowledged, the request on stream 1,
      its whole response read (200 or not counted as ok). Then every connection is kept open: an
      HTTP/2 one keeps being read, so that a PING or SETTINGS is answered as a client would, and
      a GOAWAY or a close is counted. Prints "open=N ok=K failed=F ms=T" when all are done (and the
      most frequent errors), then "server closed a connection (closed so far: C)" for each one the
      server closes, as conns.py does, until SIGTERM or SIGINT.
"""
import asyncio
import signal
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions

CONCURRENCY = 200  # handshakes in progress at once


def tls_context(proto):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2" if proto == "h2" else "http/1.1"])
    return ctx


class Stats:
    ok = 0
    failed = 0
    closed = 0
    errors = {}


def closed():
    Stats.closed += 1
    print(f"server closed a connection (closed so far: {Stats.closed})", flush=True)


async def hold_h2(reader, writer, conn):
    """Reads until the server closes: answers what the h2 state machine answers (PING, SETTINGS)."""
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            events = conn.receive_data(data)
            out = conn.data_to_send()
            if out:
                writer.write(out)
            if any(isinstance(e, h2.events.ConnectionTerminated) for e in events):
                break
    except (ConnectionError, OSError, h2.exceptions.ProtocolError):
        pass
    closed()


async def hold_h1(reader):
    try:
        while await reader.read(65536):
            pass
    except (ConnectionError, OSError):
        pass
    closed()


async def one(proto, port, path, ctx, sem, holders):
    async with sem:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="localhost"), 30)
            picked = writer.get_extra_info("ssl_object").selected_alpn_protocol()
            want = "h2" if proto == "h2" else "http/1.1"
            if picked != want:
                raise RuntimeError(f"ALPN: server picked {picked!r}, not {want!r}")
            if proto == "h2":
                conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
                conn.initiate_connection()
                conn.send_headers(1, [(":method", "GET"), (":scheme", "https"), (":authority", f"localhost:{port}"),
                                      (":path", path), ("user-agent", "berth-bench")], end_stream=True)
                writer.write(conn.data_to_send())
                status, done = None, False
                while not done:
                    data = await asyncio.wait_for(reader.read(65536), 30)
                    if not data:
                        raise RuntimeError("closed before the response")
                    for e in conn.receive_data(data):
                        if isinstance(e, h2.events.ResponseReceived):
                            status = dict(e.headers).get(":status")
                        elif isinstance(e, h2.events.DataReceived):
                            conn.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
                        elif isinstance(e, h2.events.StreamEnded):
                            done = True
                        elif isinstance(e, (h2.events.StreamReset, h2.events.ConnectionTerminated)):
                            raise RuntimeError(type(e).__name__)
                    out = conn.data_to_send()
                    if out:
                        writer.write(out)
                if status != "200":
                    raise RuntimeError(f"status {status}")
                holders.append((writer, asyncio.ensure_future(hold_h2(reader, writer, conn))))
            else:
                writer.write(f"GET {path} HTTP/1.1\r\nHost: localhost:{port}\r\nUser-Agent: berth-bench\r\n\r\n".encode())
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
                lines = head.decode("latin-1").split("\r\n")
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                await asyncio.wait_for(reader.readexactly(length), 30)
                if lines[0].split()[1] != "200":
                    raise RuntimeError(lines[0])
                holders.append((writer, asyncio.ensure_future(hold_h1(reader))))
            Stats.ok += 1
        except Exception as e:  # noqa: BLE001 - counted and shown, the rest go on
            Stats.failed += 1
            key = f"{type(e).__name__}: {e}"
            Stats.errors[key] = Stats.errors.get(key, 0) + 1


async def main(proto, port, path, n):
    ctx = tls_context(proto)
    sem = asyncio.Semaphore(CONCURRENCY)
    holders = []
    t0 = time.monotonic()
    await asyncio.gather(*(one(proto, port, path, ctx, sem, holders) for _ in range(n)))
    ms = (time.monotonic() - t0) * 1000
    print(f"open={len(holders)} ok={Stats.ok} failed={Stats.failed} ms={ms:.0f}", flush=True)
    for err, count in sorted(Stats.errors.items(), key=lambda x: -x[1])[:5]:
        print(f"  {count} x {err}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for writer, task in holders:
        task.cancel()
        writer.transport.abort()


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] not in ("h2", "https1"):
        sys.exit(__doc__)
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])))
