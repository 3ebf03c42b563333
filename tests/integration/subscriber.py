"""A real local HTTP endpoint that collects what SNS posts to it."""

import http.server
import json
import queue
import threading
import time


class Subscriber:
    def __init__(self, fail_first=0):
        self.messages = queue.Queue()
        self.fail_first = fail_first
        subscriber = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if subscriber.fail_first > 0:
                    subscriber.fail_first -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                subscriber.messages.put((dict(self.headers), json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, message_type, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                headers, body = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if body.get("Type") == message_type:
                return headers, body
        raise AssertionError(f"no {message_type} within {timeout}s")

    def close(self):
        self.server.shutdown()
