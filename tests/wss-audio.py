#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""An audio socket over TLS, as a Python device would use it: ready, a chunk
of silence, a ping answered with a pong, then bad JSON answered with an error
and a close. Prints one line per step; exits 1 at the first surprise.
With "hold S" after the URL: ready, then S seconds of nothing."""

import asyncio
import json
import ssl
import sys

import websockets

START = '{"type":"audio-start","data":{"rate":16000,"width":2,"channels":1}}\n'
CHUNK = ('{"type":"audio-chunk","data":{"rate":16000,"width":2,"channels":1},'
         '"payload_length":640}\n')


async def expect(ws, kind):
    message = json.loads(await ws.recv())
    if message.get("type") != kind:
        sys.exit(f"expected {kind}, got {message}")
    print(kind)


async def main(url, hold=None):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    async with websockets.connect(url, ssl=context) as ws:
        await expect(ws, "ready")
        if hold is not None:
            sys.stdout.flush()
            await asyncio.sleep(hold)
            return
        await ws.send(START)
        await ws.send(CHUNK)
        await ws.send(bytes(640))
        await ws.send('{"type":"ping"}')
        await expect(ws, "pong")
        await ws.send('{"type": "audio-chunk", "data": {"rate": 16')
        await expect(ws, "error")
        try:
            await ws.recv()
        except websockets.ConnectionClosed as closed:
            print(f"closed {closed.code}")


asyncio.run(main(sys.argv[1], float(sys.argv[3]) if sys.argv[2:3] == ["hold"] else None))
