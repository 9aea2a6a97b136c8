#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""RFC 6455 conformance of the audio sockets' own WebSocket server end
(server/net/mira-websocket.c), driven by an independent client: Python's
websockets library opens each connection and reads what the server says;
frames a conforming client would never send are written to its transport
byte for byte.

  tests/test-websocket-conformance.py PATH/TO/mira-server

Starts the server on a free port with a throw-away SQLite database, makes a
network with one device, and prints TAP."""

import asyncio
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

import websockets

ADMIN = "conformance-admin-token-0123456789abcdef"
PING = '{"type":"ping"}\n'

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA

n = 0
failed = 0


def result(ok, name, detail=""):
    global n, failed
    n += 1
    if ok:
        print(f"ok {n} - {name}")
    else:
        failed += 1
        print(f"not ok {n} - {name}")
        if detail:
            for line in str(detail).splitlines():
                print(f"#   {line}")
    sys.stdout.flush()


def frame(opcode, payload=b"", fin=True, mask=True, rsv=0, length=None):
    """A client frame, as it goes on the wire (nothing checked)"""
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    size = len(payload) if length is None else length
    bit = 0x80 if mask else 0
    if size < 126:
        head += bytes([bit | size])
    elif size < 65536:
        head += bytes([bit | 126]) + struct.pack("!H", size)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", size)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def close_payload(code, reason=b""):
    return struct.pack("!H", code) + reason


class Server:
    def __init__(self, program):
        self.tmp = tempfile.mkdtemp(prefix="mira-ws-conformance-")
        env = dict(os.environ, HOME=self.tmp, XDG_CONFIG_HOME=self.tmp + "/config",
                   XDG_DATA_HOME=self.tmp + "/data", MIRA_ADMIN_TOKEN=ADMIN)
        env.pop("MIRA_DATABASE_URL", None)
        self.out = open(self.tmp + "/out", "w+")
        self.proc = subprocess.Popen(
            [program, "--database", f"sqlite://{self.tmp}/mira.db", "--host", "127.0.0.1",
             "--port", "0", "--transcriber", "none"],
            stdin=subprocess.DEVNULL, stdout=self.out, stderr=subprocess.STDOUT, env=env)
        self.url = None
        for _ in range(300):
            self.out.seek(0)
            found = re.search(r"^listening on (http://127\.0\.0\.1:\d+)$", self.out.read(), re.M)
            if found:
                self.url = found.group(1)
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        if self.url is None:
            self.out.seek(0)
            raise RuntimeError("mira-server did not start: " + self.out.read())

    def request(self, method, path, token, body):
        req = urllib.request.Request(self.url + path, method=method,
                                     data=json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as answer:
            return json.load(answer)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.out.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


async def connect(url):
    ws = await websockets.connect(url, max_size=None, ping_interval=None, close_timeout=5)
    ready = json.loads(await asyncio.wait_for(ws.recv(), 10))
    if ready.get("type") != "ready":
        raise AssertionError(f"the first message was {ready}, not ready")
    return ws


async def closed_with(ws):
    """The code of the server's close frame (None when the socket stays open)"""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    except websockets.ConnectionClosed:
        return ws.close_code
    except asyncio.TimeoutError:
        return None


async def expect_close(url, name, data, code):
    ws = await connect(url)
    ws.transport.write(data)
    got = await closed_with(ws)
    result(got == code, name, f"closed with {got}, not {code}")


async def pong_after(ws):
    """The Wyoming pong for a ping sent as @ws's last message"""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message.get("type") == "pong":
            return True


async def run(url):
    # Fragmentation, with control frames between the fragments
    ws = await connect(url)
    pong = ws.ping(b"between fragments")
    ws.transport.write(frame(OP_TEXT, b'{"type":', fin=False))
    ws.transport.write(frame(OP_PING, b"between fragments"))
    ws.transport.write(frame(OP_CONT, b'"pi', fin=False))
    ws.transport.write(frame(OP_PONG, b"unsolicited"))
    ws.transport.write(frame(OP_CONT, b'ng"}\n'))
    try:
        await asyncio.wait_for(pong, 10)
        got_pong = True
    except asyncio.TimeoutError:
        got_pong = False
    result(got_pong, "a ping between fragments is answered with its payload")
    result(await pong_after(ws), "a text message in three fragments around a ping and a pong "
           "arrives whole")
    await ws.close()

    # A message of 1 000 fragments, some empty
    ws = await connect(url)
    text = PING.encode()
    chunks = [text[:1]] + [b""] * 998 + [text[1:]]
    data = frame(OP_TEXT, chunks[0], fin=False)
    for chunk in chunks[1:-1]:
        data += frame(OP_CONT, chunk, fin=False)
    data += frame(OP_CONT, chunks[-1])
    ws.transport.write(data)
    result(await pong_after(ws), "a message of 1000 fragments, most of them empty, arrives whole")
    await ws.close()

    # UTF-8 split across fragments: valid as a whole, so valid
    ws = await connect(url)
    text = '{"type":"ping","data":{"note":"é€😀 naïve"}}\n'.encode()
    cut1 = text.index("€".encode()) + 1   # inside the euro sign
    cut2 = text.index("😀".encode()) + 2  # inside the emoji
    ws.transport.write(frame(OP_TEXT, text[:cut1], fin=False)
                       + frame(OP_CONT, text[cut1:cut2], fin=False)
                       + frame(OP_CONT, text[cut2:]))
    result(await pong_after(ws), "UTF-8 characters split across fragments are whole again")
    await ws.close()

    # …and invalid as a whole: 1007
    broken = '{"type":"ping","data":{"note":"'.encode() + b"\xe2\x82" + b'"}}\n'
    await expect_close(url, "a text message whose fragments end inside a character: 1007",
                       frame(OP_TEXT, broken[:-4], fin=False) + frame(OP_CONT, broken[-4:]),
                       1007)
    await expect_close(url, "a text message with an overlong encoding: 1007",
                       frame(OP_TEXT, b'{"type":"ping","x":"\xc0\xaf"}'), 1007)
    await expect_close(url, "a text message with a surrogate encoded in UTF-8: 1007",
                       frame(OP_TEXT, b'{"type":"ping","x":"\xed\xa0\x80"}'), 1007)

    # Fragmentation errors: 1002
    await expect_close(url, "a continuation frame with no message begun: 1002",
                       frame(OP_CONT, b"x"), 1002)
    await expect_close(url, "a new text frame inside a fragmented message: 1002",
                       frame(OP_TEXT, b"{", fin=False) + frame(OP_TEXT, b"}"), 1002)
    await expect_close(url, "a binary frame inside a fragmented text message: 1002",
                       frame(OP_TEXT, b"{", fin=False) + frame(OP_BINARY, b"}"), 1002)

    # Control frames: at most 125 bytes, never fragmented
    ws = await connect(url)
    waiter = ws.ping(b"p" * 125)
    try:
        await asyncio.wait_for(waiter, 10)
        ok = True
    except asyncio.TimeoutError:
        ok = False
    result(ok, "a ping of 125 bytes is answered")
    await ws.close()
    await expect_close(url, "a ping of 126 bytes: 1002", frame(OP_PING, b"p" * 126), 1002)
    await expect_close(url, "a ping announcing 64 KiB: 1002",
                       frame(OP_PING, b"", length=65536), 1002)
    await expect_close(url, "a close frame of 126 bytes: 1002",
                       frame(OP_CLOSE, close_payload(1000, b"r" * 124)), 1002)
    await expect_close(url, "a fragmented ping: 1002",
                       frame(OP_PING, b"a", fin=False), 1002)
    await expect_close(url, "a fragmented pong: 1002",
                       frame(OP_PONG, b"a", fin=False), 1002)

    # Masking, reserved bits, reserved opcodes
    await expect_close(url, "an unmasked text frame: 1002",
                       frame(OP_TEXT, PING.encode(), mask=False) + b"\0" * 8, 1002)
    await expect_close(url, "an unmasked ping: 1002",
                       frame(OP_PING, b"abcd", mask=False) + b"\0" * 8, 1002)
    for rsv in (1, 2, 4):
        await expect_close(url, f"RSV bit {rsv} set with no extension: 1002",
                           frame(OP_TEXT, PING.encode(), rsv=rsv), 1002)
    for opcode in (3, 7, 0xB, 0xF):
        await expect_close(url, f"reserved opcode {opcode:#x}: 1002", frame(opcode, b"x"), 1002)

    # Every close code: the ones a peer may send are echoed, the others 1002
    for code in list(range(0, 1000, 111)) + list(range(1000, 1020)) \
            + [1100, 2000, 2999, 3000, 3999, 4000, 4999, 5000, 6000, 65535]:
        valid = 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999
        await expect_close(url, f"close code {code}: {'echoed' if valid else '1002'}",
                           frame(OP_CLOSE, close_payload(code, b"bye")),
                           code if valid else 1002)
    await expect_close(url, "a close frame without a payload: 1005 (none given)",
                       frame(OP_CLOSE, b""), 1005)
    await expect_close(url, "a close frame of one byte: 1002", frame(OP_CLOSE, b"\x03"), 1002)
    await expect_close(url, "a close reason that is not UTF-8: 1007",
                       frame(OP_CLOSE, close_payload(1000, b"\xff\xfe")), 1007)
    await expect_close(url, "a close reason of valid UTF-8: echoed",
                       frame(OP_CLOSE, close_payload(1000, "tschüß".encode())), 1000)

    # A server that closed answers nothing more
    ws = await connect(url)
    ws.transport.write(frame(OP_CLOSE, close_payload(1000)) + frame(OP_TEXT, PING.encode()))
    got = await closed_with(ws)
    result(got == 1000, "data after the client's close is not answered", f"closed with {got}")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: test-websocket-conformance.py PATH/TO/mira-server")
    server = Server(sys.argv[1])
    try:
        network = server.request("POST", "/api/v1/networks", ADMIN, {"name": "Conformance"})
        device = server.request(
            "POST", f"/api/v1/{network['network_id']}/service/client/register/dev",
            network["network_token"], {"device_type": "phone"})
        url = (server.url.replace("http://", "ws://")
               + f"/api/v1/{network['network_id']}/streams/dev/ws"
               + f"?token={device['session_token']}")
        asyncio.run(run(url))
    finally:
        server.stop()
    print(f"1..{n}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
