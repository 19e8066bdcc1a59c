"""A WebSocket echo app for berth's tests, on Debian's python3-websockets (10.4) server.

Listens on $BERTH_SOCKET (unix) or $PORT. Every text message comes back as it was, except
"whoami", answered with the instance's name and pid. A plain HTTP request (berth's readiness
probe) gets a 200.
"""
import asyncio
import http
import os

import websockets

NAME = os.environ.get("BERTH_INSTANCE", "ws")


async def echo(websocket, path=None):
    async for message in websocket:
        if message == "whoami":
            await websocket.send("%s %d" % (NAME, os.getpid()))
        else:
            await websocket.send(message)


async def plain(path, headers):
    if "upgrade" not in headers.get("Connection", "").lower():
        return http.HTTPStatus.OK, [("Content-Type", "text/plain")], b"ok\n"
    return None


async def main():
    where = os.environ.get("BERTH_SOCKET") or os.environ["PORT"]
    if where.isdigit():
        server = await websockets.serve(echo, "127.0.0.1", int(where), process_request=plain)
    else:
        server = await websockets.unix_serve(echo, where, process_request=plain)
    async with server:
        await asyncio.Future()


asyncio.run(main())
