#!/usr/bin/env python3
"""A deliberately injectable web application for the sqlmap end-to-end test (tests/e2e/test_sqlmap.py).

Usage: sqli_target.py ADDRESS PORT LOGFILE

Unlike scripts/sqlmap_target.py (which only logs values and executes nothing), this one runs the
parameter values as SQL, the way a careless application does, against an in-memory SQLite
database - so that sqlmap, pointed at it directly, really finds the parameters injectable. That is
the control of the test: the appliance's verdict means something only if the same tool, without
the appliance, reports the injection.

  GET  /item?id=N         SELECT name, price FROM items WHERE id=N            (numeric context)
  POST /search  q=..&id=N SELECT name FROM items WHERE name LIKE '%q%' ...     (string context)

SQL errors are swallowed (a 200 page "no such item"), as many applications do; sqlmap finds the
parameters by boolean and time-based inference. Every request appends one JSON line to LOGFILE:
{"client": address, "method", "path", "body"} - what "the target received" (the e2e test counts
them per client address). The database is in memory and rebuilt per request: nothing persists,
nothing outside the process is touched. Bind it only to a test address (a network namespace).
"""
import http.server
import json
import sqlite3
import sys
import threading
import urllib.parse

LOG = None
LOCK = threading.Lock()
ITEMS = [(1, 'walking boots', 79), (2, 'rain jacket', 120), (3, 'wool socks', 12), (4, 'day pack', 55)]


# sqlmap's SQLite time-based payload is a heavy query, RANDOMBLOB(500000000/2) hex-encoded: ~1 GB
# per request. Strings and blobs are capped at 16 MiB so the target stays small on a shared
# machine; that payload then fails (an SQL error, no delay) and sqlmap finds the parameters by
# boolean inference instead - as injectable as before.
MAX_LENGTH = 16 << 20


def database():
    db = sqlite3.connect(':memory:')
    db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_LENGTH)
    db.execute('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price INTEGER)')
    db.execute('CREATE TABLE users (id INTEGER PRIMARY KEY, login TEXT, password TEXT)')
    db.executemany('INSERT INTO items VALUES (?, ?, ?)', ITEMS)
    db.execute("INSERT INTO users VALUES (1, 'admin', 'e2e-secret')")
    return db


def query(sql):
    """Rows of `sql` (the injected text included), or None on an SQL error."""
    db = database()
    try:
        return db.execute(sql).fetchall()
    except (sqlite3.Error, sqlite3.Warning, OverflowError, ValueError):
        return None
    finally:
        db.close()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def _log(self, body):
        with LOCK:
            LOG.write(json.dumps({'client': self.client_address[0], 'method': self.command, 'path': self.path,
                                  'body': body.decode('latin-1')}) + '\n')
            LOG.flush()

    def _page(self, rows):
        if rows:
            items = ''.join('<li>%s</li>' % ' '.join(str(c) for c in r) for r in rows)
            text = '<ul>%s</ul>' % items
        else:
            text = '<p>no such item</p>'
        data = ('<html><body><h1>Shop</h1>%s</body></html>' % text).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/html')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._log(b'')
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        if url.path == '/item':
            # The vulnerability: the value is pasted into the statement (numeric context).
            self._page(query('SELECT name, price FROM items WHERE id=%s' % q.get('id', '1')))
        else:
            self._page([('index',)])

    def do_POST(self):
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n)
        self._log(body)
        f = dict(urllib.parse.parse_qsl(body.decode('latin-1'), keep_blank_values=True))
        # String context: the value is pasted between quotes.
        self._page(query("SELECT name FROM items WHERE name LIKE '%%%s%%' AND id<=%s" % (f.get('q', ''), f.get('id', '9'))))


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


if __name__ == '__main__':
    LOG = open(sys.argv[3], 'a', encoding='utf-8')
    Server((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
