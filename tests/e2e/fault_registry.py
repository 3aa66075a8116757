#!/usr/bin/env python3
"""A registry that answers every request with one HTTP status, for fault tests.

Usage: fault_registry.py PORT STATUS
Listens on 127.0.0.1:PORT and answers every GET/HEAD/POST/PUT/PATCH with STATUS and an OCI
distribution-spec error body (401: UNAUTHORIZED with a Basic challenge, 403: DENIED,
429: TOOMANYREQUESTS with Retry-After, 5xx: UNAVAILABLE). A real registry cannot be made to
rate-limit or fail on demand; this stands in for Docker Hub's 429 and a broken proxy's 503.
"""
import http.server
import json
import sys

CODES = {401: "UNAUTHORIZED", 403: "DENIED", 404: "MANIFEST_UNKNOWN", 429: "TOOMANYREQUESTS"}


class Handler(http.server.BaseHTTPRequestHandler):
    status = 500

    def answer(self):
        code = CODES.get(self.status, "UNAVAILABLE")
        body = json.dumps({"errors": [{"code": code, "message": self.responses[self.status][0]}]}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        if self.status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="pymatrix-fault-registry"')
        if self.status == 429:
            self.send_header("Retry-After", "60")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = answer

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))


def main():
    port, Handler.status = int(sys.argv[1]), int(sys.argv[2])
    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
