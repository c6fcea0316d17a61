"""A small web server on loopback serving the pages a task links to, optionally slowly."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARTICLE = """<!doctype html><html><head><title>Quarterly tax filing guide</title></head><body>
<nav>Home | About | Contact</nav>
<article><h1>Quarterly tax filing guide</h1>
<p>Freelancers must file estimated taxes every quarter to avoid penalties at the end of the year.</p>
<p>Gather your invoices, receipts and bank statements before you start the estimate.</p>
<p>The payment is due on the fifteenth day after the quarter ends, and late payments accrue interest.</p>
<p>Keep a copy of every filing and payment confirmation for at least seven years.</p>
</article><footer>Copyright</footer></body></html>"""


class PageServer:
    def __init__(self, delay_seconds: float = 0.0) -> None:
        self.delay_seconds = delay_seconds
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                server.requests += 1
                time.sleep(server.delay_seconds)
                body = ARTICLE.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return None

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/guide"

    def __enter__(self) -> PageServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
