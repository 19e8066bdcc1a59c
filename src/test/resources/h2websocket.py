"""A WebSocket client over HTTP/2 (RFC 8441 extended CONNECT), for berth's tests, on Debian's
python3-h2. The WebSocket frames are made and read by hand (RFC 6455 5.2): masked text frames
from the client, unmasked ones from the server.

    h2websocket.py HOST PORT PATH [MESSAGE...] [--hold]

Opens an h2c connection (prior knowledge), waits for the server's SETTINGS_ENABLE_CONNECT_PROTOCOL,
sends the extended CONNECT to PATH, and when the answer is 200 sends each MESSAGE as a text frame
and waits for a text frame back; then sends a close frame (1000) and waits for the server's close
frame and the end of the stream. With --hold it prints {"open": true} after the echoes instead, and
waits for the server's close frame (answering it) and the end of the stream. Prints one JSON line:
{"connect_protocol": bool, "status": int or null, "protocol": value of sec-websocket-protocol,
 "echoes": [text...], "close": code or null, "ended": bool, "reset": code or null}.
"""
import json
import os
import socket
import struct
import sys

import h2.config
import h2.connection
import h2.events
import h2.settings

TIMEOUT = 20


def ws_frame(opcode, payload):
    """A masked client frame (RFC 6455 5.2)."""
    mask = os.urandom(4)
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def parse_frame(buf):
    """(opcode, payload, rest) of the first whole unmasked frame in buf, or None."""
    if len(buf) < 2:
        return None
    opcode, n, at = buf[0] & 0x0F, buf[1] & 0x7F, 2
    if n == 126:
        if len(buf) < 4:
            return None
        n, at = struct.unpack(">H", buf[2:4])[0], 4
    elif n == 127:
        if len(buf) < 10:
            return None
        n, at = struct.unpack(">Q", buf[2:10])[0], 10
    if len(buf) < at + n:
        return None
    return opcode, bytes(buf[at : at + n]), buf[at + n :]


class Client:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        )
        self.conn.initiate_connection()
        self.flush()
        self.result = {"connect_protocol": False, "status": None, "protocol": None,
                       "echoes": [], "close": None, "ended": False, "reset": None}
        self.stream = None
        self.data = bytearray()
        self.settled = False

    def send(self, payload):
        """DATA frames within the stream's window and the largest frame size."""
        while payload:
            window = min(self.conn.local_flow_control_window(self.stream),
                         self.conn.max_outbound_frame_size)
            if window <= 0:
                self.read()
                continue
            self.conn.send_data(self.stream, payload[:window])
            payload = payload[window:]
            self.flush()

    def flush(self):
        self.sock.sendall(self.conn.data_to_send())

    def read(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        for event in self.conn.receive_data(chunk):
            if isinstance(event, h2.events.RemoteSettingsChanged):
                self.settled = True
                changed = event.changed_settings.get(h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL)
                if changed is not None and changed.new_value == 1:
                    self.result["connect_protocol"] = True
            elif isinstance(event, h2.events.ResponseReceived) and event.stream_id == self.stream:
                fields = dict(event.headers)
                self.result["status"] = int(fields[":status"])
                self.result["protocol"] = fields.get("sec-websocket-protocol")
            elif isinstance(event, h2.events.DataReceived) and event.stream_id == self.stream:
                self.data += event.data
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded) and event.stream_id == self.stream:
                self.result["ended"] = True
            elif isinstance(event, h2.events.StreamReset) and event.stream_id == self.stream:
                self.result["reset"] = int(event.error_code)
        self.flush()

    def done(self):
        return self.result["ended"] or self.result["reset"] is not None

    def next_frame(self):
        while True:
            parsed = parse_frame(self.data)
            if parsed:
                opcode, payload, rest = parsed
                self.data = bytearray(rest)
                return opcode, payload
            if self.done():
                return None
            self.read()

    def run(self, path, messages, hold):
        while not self.settled:
            self.read()
        self.stream = self.conn.get_next_available_stream_id()
        self.conn.send_headers(self.stream, [
            (":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "http"),
            (":path", path), (":authority", "localhost"),
            ("sec-websocket-version", "13"), ("sec-websocket-protocol", "chat, echo"),
        ])
        self.flush()
        while self.result["status"] is None and not self.done():
            self.read()
        if self.result["status"] != 200:
            while not self.done():
                self.read()
            self.result["body"] = self.data.decode(errors="replace")
            return self.result
        for message in messages:
            self.send(ws_frame(0x1, message.encode()))
            frame = self.next_frame()
            if frame is None:
                return self.result
            text = frame[1].decode()
            # A long echo is shown by its length.
            self.result["echoes"].append(text if len(text) <= 100 else "%d chars" % len(text))
        if hold:
            # Open until the server closes: say so, then wait for its close frame and answer it.
            print(json.dumps({"open": True}), flush=True)
            frame = self.next_frame()
            if frame is not None and frame[0] == 0x8 and len(frame[1]) >= 2:
                self.result["close"] = struct.unpack(">H", frame[1][:2])[0]
                self.send(ws_frame(0x8, frame[1][:2]))
            try:
                while not self.done():
                    self.read()
            except EOFError:
                pass
            return self.result
        self.send(ws_frame(0x8, struct.pack(">H", 1000)))
        frame = self.next_frame()
        if frame is not None and frame[0] == 0x8 and len(frame[1]) >= 2:
            self.result["close"] = struct.unpack(">H", frame[1][:2])[0]
        try:
            while not self.done():
                self.read()
        except EOFError:
            pass
        return self.result


def main():
    host, port, path, messages = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
    # "x*N" stands for N times "x" (a message larger than the stream's window).
    hold = "--hold" in messages
    messages = [m for m in messages if m != "--hold"]
    messages = ["x" * int(m[2:]) if m.startswith("x*") else m for m in messages]
    client = Client(host, port)
    try:
        result = client.run(path, messages, hold)
    finally:
        client.sock.close()
    print(json.dumps(result))


main()
