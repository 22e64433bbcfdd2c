#!/usr/bin/env python3
"""A tiny loopback-only HTTP target for sqlmap that logs every parameter value it receives.

Usage: sqlmap_target.py PORT LOGFILE
Each request appends one JSON line {"where": "query|body|cookie|user_agent|referer", "name", "value"}
per parameter (values percent-decoded, as an application would see them). The page it serves
depends on the numeric value of `id` so that sqlmap sees a dynamic, plausible parameter; nothing is
ever executed. Used by scripts/collect_sqlmap.sh to build tests/inject/data/sqlmap_*.txt.
"""
import http.server
import json
import sys
import urllib.parse

LOG = None


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _log(self, where, name, value):
        LOG.write(json.dumps({"where": where, "name": name, "value": value}) + "\n")

    def _handle(self, body):
        url = urllib.parse.urlsplit(self.path)
        for name, value in urllib.parse.parse_qsl(url.query, keep_blank_values=True):
            self._log("query", name, value)
        if body:
            for name, value in urllib.parse.parse_qsl(body.decode("latin-1"), keep_blank_values=True):
                self._log("body", name, value)
        for part in (self.headers.get("Cookie") or "").split(";"):
            if "=" in part:
                name, value = part.strip().split("=", 1)
                self._log("cookie", name, urllib.parse.unquote(value))
        for h, where in (("User-Agent", "user_agent"), ("Referer", "referer")):
            if self.headers.get(h) is not None:
                self._log(where, h, self.headers.get(h))
        LOG.flush()
        q = dict(urllib.parse.parse_qsl(url.query))
        ident = q.get("id", "1")
        page = "<html><body><h1>Item</h1><p>%s</p></body></html>" % (
            "found item %s" % ident if ident.isdigit() and int(ident) < 10 else "no such item")
        data = page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Set-Cookie", "session=abc123")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._handle(b"")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self._handle(self.rfile.read(n))


if __name__ == "__main__":
    LOG = open(sys.argv[2], "a", encoding="utf-8")
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
