#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A speech-to-text service for the tests, speaking one real wire protocol.

    speech-peer.py PROTOCOL MODE [--text TEXT] [--model NAME] [--key KEY] [--log FILE]

PROTOCOL is the service it plays:
  wyoming   Wyoming over TCP, as wyoming-faster-whisper serves it (describe → info;
            transcribe {language?}, audio-start, audio-chunk…, audio-stop → transcript)
  openai    POST /v1/audio/transcriptions, multipart (file, model, response_format,
            language?)
  deepgram  POST /v1/listen?language=…, Authorization: Token KEY, an audio/wav body

MODE is how it answers a transcription:
  ok            the transcript TEXT
  unauthorized  HTTP 401 with the service's error body (Wyoming: an error event)
  error         HTTP 500 with the service's error body (Wyoming: an error event)
  badjson       a success whose JSON is cut short
  hang          reads the request and never answers
  close         starts the answer and closes the connection in the middle of it

It listens on 127.0.0.1, prints "port N" once it does, and serves until killed
or until its standard input closes (so that it never outlives a test that crashed).
With --log, every request is a JSON line in FILE: what arrived, checked against
the protocol (the WAV's format and length, the Wyoming events and audio).
"""

import argparse
import email.parser
import email.policy
import http.server
import io
import json
import socketserver
import sys
import threading
import time
import os
import wave

args = None
log_lock = threading.Lock()


def log(entry):
    if args.log:
        with log_lock, open(args.log, "a") as f:
            f.write(json.dumps(entry) + "\n")


def wav_info(data):
    """The format and length of a WAV file, or why it is not one."""
    try:
        with wave.open(io.BytesIO(data)) as w:
            return {"rate": w.getframerate(), "channels": w.getnchannels(),
                    "width": w.getsampwidth(), "frames": w.getnframes()}
    except (wave.Error, EOFError) as e:
        return {"error": str(e)}


def hang_forever():
    while True:
        time.sleep(3600)


# HTTP services -----------------------------------------------------------------

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *a):
        pass

    def answer(self, status, body, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def cut_short(self, start):
        """Promises a whole body, sends its start, and closes."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "400")
        self.end_headers()
        self.wfile.write(start.encode())
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(2)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        entry = {"path": self.path, "authorization": self.headers.get("Authorization"),
                 "content_type": self.headers.get("Content-Type")}
        if args.protocol == "openai":
            self.openai(body, entry)
        else:
            self.deepgram(body, entry)

    def openai(self, body, entry):
        if self.path != "/v1/audio/transcriptions":
            return self.answer(404, '{"error": {"message": "Not found", "type": "invalid_request_error"}}')
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + self.headers.get("Content-Type", "").encode() + b"\r\n\r\n" + body)
        fields = {}
        for part in message.iter_parts() if message.is_multipart() else []:
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if name == "file":
                fields["file"] = wav_info(payload)
                fields["filename"] = part.get_filename()
                fields["file_type"] = part.get_content_type()
            else:
                fields[name] = payload.decode()
        entry.update(fields)
        log(entry)
        if args.key and self.headers.get("Authorization") != "Bearer " + args.key:
            mode = "unauthorized"
        else:
            mode = args.mode
        if "file" not in fields or "model" not in fields:
            return self.answer(400, '{"error": {"message": "file and model are required", '
                                    '"type": "invalid_request_error"}}')
        if mode == "ok":
            self.answer(200, json.dumps({"text": args.text}))
        elif mode == "unauthorized":
            self.answer(401, json.dumps({"error": {
                "message": "Incorrect API key provided: sk-wrong. You can find your API key "
                           "at https://platform.openai.com/account/api-keys.",
                "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}))
        elif mode == "error":
            self.answer(500, json.dumps({"error": {
                "message": "The server had an error while processing your request. Sorry about that!",
                "type": "server_error", "param": None, "code": None}}))
        elif mode == "badjson":
            self.answer(200, '{"text": "turn on the')
        elif mode == "hang":
            hang_forever()
        elif mode == "close":
            self.cut_short('{"text": "turn on')

    def deepgram(self, body, entry):
        if not self.path.startswith("/v1/listen"):
            return self.answer(404, '{"err_code": "NOT_FOUND", "err_msg": "Not found"}')
        entry["file"] = wav_info(body)
        log(entry)
        if args.key and self.headers.get("Authorization") != "Token " + args.key:
            mode = "unauthorized"
        else:
            mode = args.mode
        request_id = "4c2a9a2e-65c5-4d7e-9c49-6d2b2d9f1a7e"
        if mode == "ok":
            words = [{"word": w, "start": 0.1 * i, "end": 0.1 * i + 0.1, "confidence": 0.97}
                     for i, w in enumerate(args.text.split())]
            self.answer(200, json.dumps({
                "metadata": {"request_id": request_id, "duration": entry["file"].get("frames", 0) / 16000,
                             "channels": 1, "models": ["1abfe86b-e047-4eed-858a-35e5625b41ee"]},
                "results": {"channels": [{"alternatives": [
                    {"transcript": args.text, "confidence": 0.97, "words": words}]}]}}))
        elif mode == "unauthorized":
            self.answer(401, json.dumps({"err_code": "INVALID_AUTH", "err_msg":
                                         "Invalid credentials.", "request_id": request_id}))
        elif mode == "error":
            self.answer(500, json.dumps({"err_code": "INTERNAL_SERVER_ERROR", "err_msg":
                                         "We encountered an error.", "request_id": request_id}))
        elif mode == "badjson":
            self.answer(200, '{"metadata": {}, "results": {"channels": [{"alternatives": [{"transcript": "turn')
        elif mode == "hang":
            hang_forever()
        elif mode == "close":
            self.cut_short('{"metadata": {"request_id": "')


class HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True


# Wyoming -------------------------------------------------------------------------

def write_event(wfile, event_type, data=None, payload=None):
    """As the wyoming library writes it: data after the header line, by data_length."""
    header = {"type": event_type, "version": "1.5.4"}
    data_bytes = json.dumps(data).encode() if data else b""
    if data_bytes:
        header["data_length"] = len(data_bytes)
    if payload:
        header["payload_length"] = len(payload)
    wfile.write(json.dumps(header).encode() + b"\n" + data_bytes + (payload or b""))
    wfile.flush()


def read_event(rfile):
    line = rfile.readline()
    if not line:
        return None
    header = json.loads(line)
    data = header.get("data") or {}
    if header.get("data_length"):
        data.update(json.loads(rfile.read(header["data_length"])))
    payload = rfile.read(header["payload_length"]) if header.get("payload_length") else b""
    return header["type"], data, payload


class WyomingHandler(socketserver.StreamRequestHandler):
    def handle(self):
        entry = {"events": [], "audio_bytes": 0, "formats": []}
        while True:
            event = read_event(self.rfile)
            if event is None:
                return
            event_type, data, payload = event
            if event_type != "audio-chunk" or not entry["events"] or entry["events"][-1] != "audio-chunk":
                entry["events"].append(event_type)
            if event_type == "describe":
                log({"events": ["describe"]})
                write_event(self.wfile, "info", {"asr": [{
                    "name": "faster-whisper", "description": "Faster Whisper transcription",
                    "attribution": {"name": "Guillaume Klein", "url": "https://github.com/guillaumekln/faster-whisper/"},
                    "installed": True, "version": "2.1.0",
                    "models": [{"name": args.model, "description": args.model,
                                "attribution": {"name": "Systran", "url": "https://huggingface.co/Systran"},
                                "installed": True, "languages": ["en"], "version": "1.0"}]}],
                    "tts": [], "handle": [], "intent": [], "wake": [], "satellite": None})
                return
            if event_type == "transcribe":
                entry["language"] = data.get("language")
            if event_type in ("audio-start", "audio-chunk"):
                fmt = [data.get("rate"), data.get("width"), data.get("channels")]
                if fmt not in entry["formats"]:
                    entry["formats"].append(fmt)
                entry["audio_bytes"] += len(payload)
            if event_type == "audio-stop":
                log(entry)
                self.answer()
                return

    def answer(self):
        mode = args.mode
        if mode == "ok":
            write_event(self.wfile, "transcript", {"text": args.text})
        elif mode in ("unauthorized", "error"):
            write_event(self.wfile, "error", {"text": "CUDA out of memory", "code": "transcribe"})
        elif mode == "badjson":
            self.wfile.write(b'{"type": "transcript", "data": {"text": "turn on\n')
            self.wfile.flush()
            hang_forever()
        elif mode == "hang":
            hang_forever()
        elif mode == "close":
            self.wfile.write(b'{"type": "transcript", "version": "1.5.4", "data_length": 40}\n{"text": "tu')
            self.wfile.flush()


class WyomingServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global args
    parser = argparse.ArgumentParser()
    parser.add_argument("protocol", choices=["wyoming", "openai", "deepgram"])
    parser.add_argument("mode", choices=["ok", "unauthorized", "error", "badjson", "hang", "close"])
    parser.add_argument("--text", default="turn on the kitchen lights")
    parser.add_argument("--model", default="tiny-int8")
    parser.add_argument("--key")
    parser.add_argument("--log")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    if args.protocol == "wyoming":
        server = WyomingServer(("127.0.0.1", args.port), WyomingHandler)
    else:
        server = HTTPServer(("127.0.0.1", args.port), Handler)
    print("port", server.server_address[1], flush=True)

    def watch_stdin():
        sys.stdin.buffer.read()
        os._exit(0)
    threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
