#!/usr/bin/env python3
"""notice-receiver.py — the webhook receiver of test-notices.sh: an HTTPS server on 127.0.0.1
that checks each notice's signature, processes each idempotency key once (a repeated key is
answered 200 and not processed again), answers 503 to the first --fail-first requests, and
processes request number --lose-answer and then closes the connection without an answer (as if
the answer were lost on the way). Every request is one JSON line of --log; every notice
processed one line of --processed. Writes the port it listens on to --port-file."""
import argparse
import hashlib
import hmac
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    ap = argparse.ArgumentParser()
    for name in ("--cert", "--key", "--secret-file", "--port-file", "--log", "--processed"):
        ap.add_argument(name, required=True)
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--lose-answer", type=int, default=0)
    args = ap.parse_args()
    with open(args.secret_file, "rb") as f:
        secret = f.read().rstrip(b"\r\n")
    lock = threading.Lock()
    state = {"requests": 0, "keys": set()}

    def signature_ok(header, body):
        parts = dict(p.split("=", 1) for p in (header or "").split(",") if "=" in p)
        want = hmac.new(secret, parts.get("t", "").encode() + b"." + body, hashlib.sha256)
        return hmac.compare_digest(want.hexdigest(), parts.get("v1", ""))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *a):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            key = self.headers.get("Idempotency-Key", "")
            with lock:
                state["requests"] += 1
                n = state["requests"]
                if not signature_ok(self.headers.get("X-Weldreg-Signature"), body):
                    outcome, status = "bad_signature", 401
                elif n <= args.fail_first:
                    outcome, status = "failed", 503
                elif key in state["keys"]:
                    outcome, status = "duplicate", 200
                else:
                    state["keys"].add(key)
                    with open(args.processed, "a", encoding="utf-8") as f:
                        f.write(json.dumps({"key": key, "body": json.loads(body)},
                                           ensure_ascii=False) + "\n")
                    outcome, status = "processed", 200
                    if n == args.lose_answer:
                        outcome, status = "processed_answer_lost", None
                with open(args.log, "a", encoding="utf-8") as f:
                    f.write(json.dumps({"n": n, "key": key,
                                        "kind": self.headers.get("X-Weldreg-Notice"),
                                        "outcome": outcome}) + "\n")
            if status is None:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    with open(args.port_file, "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
