#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A local peer of the OpenAI chat completions protocol, for the tests.

POST /v1/chat/completions answers as the current mode says. The test sets
the mode with POST /mode {"mode": ..., ...} and reads what was asked with
GET /requests ([{"path", "authorization", "body"}], oldest first).

Modes:
  answer   200, a chat completion whose message content is "content"
           (after "delay_ms", if given)
  error    "status" with OpenAI's error body {"error": {"message", ...}}
  garbage  200 with a body that is not JSON
  hang     accepts the request and never answers
  close    announces a whole answer and closes the connection halfway

It listens on 127.0.0.1 on a free port, prints "port N" on a line of its
own, and exits when its standard input closes.
"""

import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

state = {"mode": {"mode": "answer", "content": "{\"actions\": []}"}, "requests": []}
lock = threading.Lock()


def completion(content, model):
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send(self, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/requests":
            with lock:
                self.send(200, state["requests"])
        else:
            self.send(404, {"error": {"message": "no such path"}})

    def do_POST(self):
        body = self.read_body()
        if self.path == "/mode":
            with lock:
                state["mode"] = json.loads(body)
            self.send(200, {"ok": True})
            return
        if self.path != "/v1/chat/completions":
            self.send(404, {"error": {"message": "no such path", "type": "invalid_request_error"}})
            return
        with lock:
            mode = dict(state["mode"])
            state["requests"].append({"path": self.path,
                                      "authorization": self.headers.get("Authorization"),
                                      "body": body.decode("utf-8", "replace")})
        try:
            model = json.loads(body).get("model", "")
        except ValueError:
            self.send(400, {"error": {"message": "body is not JSON", "type": "invalid_request_error"}})
            return

        kind = mode.get("mode")
        if kind == "answer":
            time.sleep(mode.get("delay_ms", 0) / 1000)
            self.send(200, completion(mode["content"], model))
        elif kind == "error":
            self.send(mode.get("status", 500),
                      {"error": {"message": mode.get("message", "the model is not loaded"),
                                 "type": "server_error", "code": None}})
        elif kind == "garbage":
            self.send(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
        elif kind == "hang":
            # Until the client gives up and closes
            while self.rfile.read(1):
                pass
        elif kind == "close":
            data = json.dumps(completion(mode.get("content", "{}"), model)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("port %d" % server.server_address[1], flush=True)
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    main()
