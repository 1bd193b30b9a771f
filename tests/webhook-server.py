#!/usr/bin/python3
# Copyright 2026 The nbci authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Record one HTTP POST on loopback, for the install test.

Usage: webhook-server.py PORT_FILE BODY_FILE HEADERS_FILE

Listens on 127.0.0.1 with a port the kernel picks and writes that port to
PORT_FILE. The first POST gets 200; its body is written to BODY_FILE and
its path and headers, as JSON, to HEADERS_FILE. The server then exits.
It also exits, with status 1, when no POST arrived within 300 seconds, so
that a broken test cannot leave it running.
"""

import http.server
import json
import os
import sys
import time

TIMEOUT_SECONDS = 300


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
        self.server.record(self.path, dict(self.headers), body)

    def log_message(self, format, *args):
        sys.stderr.write("webhook-server: " + (format % args) + "\n")


class RecordingServer(http.server.HTTPServer):
    def __init__(self, body_path, headers_path):
        super().__init__(("127.0.0.1", 0), RecordingHandler)
        self.body_path = body_path
        self.headers_path = headers_path
        self.recorded = False

    def record(self, path, headers, body):
        # Written to a temporary name and renamed, so that a reader never
        # sees half a file.
        with open(self.headers_path + ".tmp", "w", encoding="utf-8") as f:
            json.dump({"path": path, "headers": headers}, f)
        os.rename(self.headers_path + ".tmp", self.headers_path)
        with open(self.body_path + ".tmp", "wb") as f:
            f.write(body)
        os.rename(self.body_path + ".tmp", self.body_path)
        self.recorded = True


def main():
    if len(sys.argv) != 4:
        sys.stderr.write("usage: webhook-server.py PORT_FILE BODY_FILE HEADERS_FILE\n")
        return 2
    port_path, body_path, headers_path = sys.argv[1:]
    server = RecordingServer(body_path, headers_path)
    server.timeout = 1
    with open(port_path + ".tmp", "w", encoding="utf-8") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(port_path + ".tmp", port_path)

    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not server.recorded and time.monotonic() < deadline:
        server.handle_request()
    server.server_close()
    return 0 if server.recorded else 1


if __name__ == "__main__":
    sys.exit(main())
