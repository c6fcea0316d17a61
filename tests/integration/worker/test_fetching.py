"""The guarded page fetcher against a hostile server on 127.0.0.1.

The server is allow-listed explicitly in each test that may reach it; every refusal test
checks the server never saw the refused request.
"""

from __future__ import annotations

import asyncio
import ipaddress
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, parse_qs, urlsplit

import pytest

from kanban.worker.fetching.errors import FetchFailed, FetchRefused, FetchTimedOut, FetchTooLarge
from kanban.worker.fetching.extraction import extract
from kanban.worker.fetching.fetcher import FetchLimits, GuardedFetcher

pytestmark = pytest.mark.timeout(90)

LOOPBACK = ipaddress.ip_network("127.0.0.1/32")
# Generous on purpose: a loaded machine can take seconds to connect even to its own loopback, and a
# refusal or a cap must never depend on that. Tests of the timeouts set short ones against a server
# that stalls for far longer, so they hold on any machine.
LIMITS = FetchLimits(max_bytes=64 * 1024, total_seconds=30.0, connect_seconds=15.0, read_seconds=15.0)


@dataclass
class HostileServer:
    """A raw HTTP/1.1 server whose paths misbehave in the ways real pages do."""

    port: int = 0
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def paths(self) -> list[str]:
        return [path for path, _ in self.seen]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            target = request_line.split(" ")[1]
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if h)}
            self.seen.append((target, headers))
            await self.respond(urlsplit(target), headers, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def respond(self, url: SplitResult, headers: dict[str, str], writer: asyncio.StreamWriter) -> None:
        path, query = url.path, parse_qs(url.query)

        def send(status: str, content_type: str, body: bytes, extra: str = "") -> None:
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                f"Connection: close\r\n{extra}\r\n".encode("latin-1")
                + body
            )

        if path == "/article":
            send("200 OK", "text/html; charset=utf-8", ARTICLE.encode())
        elif path == "/latin1":
            send("200 OK", "text/html; charset=iso-8859-1", "<p>Crème brûlée à la carte</p>".encode("latin-1"))
        elif path == "/echo-host":
            send("200 OK", "text/plain", headers.get("host", "").encode())
        elif path == "/redirect":
            send("302 Found", "text/plain", b"", f"Location: {query['to'][0]}\r\n")
        elif path.startswith("/chain/"):
            left = int(path.rsplit("/", 1)[1])
            if left == 0:
                send("200 OK", "text/plain", b"end of the chain")
            else:
                send("301 Moved", "text/plain", b"", f"Location: /chain/{left - 1}\r\n")
        elif path == "/huge":
            # No Content-Length: the only way to stop is to stop reading.
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n")
            chunk = b"<p>" + b"spam " * 2000 + b"</p>"
            for _ in range(5000):
                writer.write(chunk)
                await writer.drain()
        elif path == "/huge-declared":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000000000\r\n\r\n")
            await writer.drain()
            await asyncio.sleep(30)
        elif path == "/drip":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n")
            for _ in range(1000):
                writer.write(b"<")
                await writer.drain()
                await asyncio.sleep(0.05)
        elif path == "/silent":
            await asyncio.sleep(30)
        elif path == "/binary":
            send("200 OK", "application/octet-stream", bytes(range(256)) * 64)
        elif path == "/malformed":
            send("200 OK", "text/html", MALFORMED)
        elif path == "/not-found":
            send("404 Not Found", "text/html", b"<h1>nope</h1>")
        else:
            send("200 OK", "text/plain", b"secret internal data")
        await writer.drain()


ARTICLE = (
    "<html><head><title>Inbox zero</title></head><body><nav>menu</nav><article>"
    "<p>Inbox zero is a way of handling email so that the inbox is empty at the end of each session.</p>"
    "<p>Each message is deleted, delegated, deferred or done, so nothing waits without a decision.</p>"
    "</article></body></html>"
)
MALFORMED = (
    b"<html><head><title>Half <b>a title</head><body><div><p>Unclosed <article>text that keeps going "
    b"<script>while(1){}</scr<p>\xff\xfe\x00 broken bytes &#xZZZ; &amp &lt;tag <!-- never closed"
)


class Resolver:
    """Answers from a table, counting lookups, like a DNS server the test controls."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        return self.answers[host]


@pytest.fixture
async def server() -> AsyncIterator[HostileServer]:
    hostile = HostileServer()
    listener = await asyncio.start_server(hostile.handle, "127.0.0.1", 0)
    hostile.port = listener.sockets[0].getsockname()[1]
    yield hostile
    listener.close()


def allowed_fetcher(**limits: float) -> GuardedFetcher:
    return GuardedFetcher(allow_networks=[LOOPBACK], limits=FetchLimits(**{**LIMITS.__dict__, **limits}))


async def test_an_allow_listed_page_is_fetched_with_its_content_type(server: HostileServer) -> None:
    page = await allowed_fetcher().fetch(f"{server.base}/article")

    assert page.status == 200 and page.content_type == "text/html" and page.charset == "utf-8"
    assert extract(page.text()).title == "Inbox zero"
    assert page.url == f"{server.base}/article"


async def test_the_declared_charset_decodes_the_body(server: HostileServer) -> None:
    page = await allowed_fetcher().fetch(f"{server.base}/latin1")

    assert "Crème brûlée à la carte" in page.text()


async def test_loopback_is_refused_unless_allow_listed_and_nothing_is_sent(server: HostileServer) -> None:
    fetcher = GuardedFetcher(limits=LIMITS)

    for url in (
        f"{server.base}/secret",
        f"http://localhost:{server.port}/secret",
        f"http://[::ffff:127.0.0.1]:{server.port}/",
    ):
        with pytest.raises(FetchRefused):
            await fetcher.fetch(url)

    assert server.seen == []


async def test_a_redirect_to_loopback_is_refused_before_any_request(server: HostileServer) -> None:
    # The first hop is trusted by name; the redirect target is the bare loopback address.
    resolver = Resolver({"trusted.test": ["127.0.0.1"]})
    fetcher = GuardedFetcher(allow_hosts=["trusted.test"], limits=LIMITS, resolver=resolver)

    with pytest.raises(FetchRefused, match="127.0.0.1"):
        await fetcher.fetch(f"http://trusted.test:{server.port}/redirect?to=http://127.0.0.1:{server.port}/secret")

    assert server.paths() == [f"/redirect?to=http://127.0.0.1:{server.port}/secret"]


async def test_redirects_to_private_addresses_and_names_are_refused(server: HostileServer) -> None:
    resolver = Resolver({"intranet.test": ["192.168.1.20"]})
    fetcher = GuardedFetcher(allow_networks=[LOOPBACK], limits=LIMITS, resolver=resolver)

    for target in ("http://10.255.255.1/admin", "http://intranet.test/", "http://169.254.169.254/latest/meta-data"):
        with pytest.raises(FetchRefused):
            await fetcher.fetch(f"{server.base}/redirect?to={target}")

    assert all(path.startswith("/redirect") for path in server.paths())


async def test_the_connection_goes_to_the_vetted_address_with_the_original_host_header(server: HostileServer) -> None:
    # A resolver that would answer differently a second time (DNS rebinding) is asked only once.
    resolver = Resolver({"pinned.test": ["127.0.0.1"]})
    fetcher = GuardedFetcher(allow_networks=[LOOPBACK], limits=LIMITS, resolver=resolver)

    page = await fetcher.fetch(f"http://pinned.test:{server.port}/echo-host")

    assert page.text() == f"pinned.test:{server.port}"
    assert resolver.lookups == ["pinned.test"]


async def test_up_to_five_redirects_are_followed_and_more_fail(server: HostileServer) -> None:
    fetcher = allowed_fetcher()

    page = await fetcher.fetch(f"{server.base}/chain/5")
    with pytest.raises(FetchFailed, match="redirects"):
        await fetcher.fetch(f"{server.base}/chain/6")

    assert page.text() == "end of the chain" and page.url == f"{server.base}/chain/0"


async def test_only_http_and_https_are_fetched() -> None:
    fetcher = GuardedFetcher(allow_networks=[LOOPBACK], limits=LIMITS)

    for url in ("file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1:70/", "javascript:alert(1)"):
        with pytest.raises(FetchRefused):
            await fetcher.fetch(url)


async def test_a_huge_body_is_cut_at_the_cap(server: HostileServer) -> None:
    page = await allowed_fetcher().fetch(f"{server.base}/huge")

    assert page.truncated and len(page.body) == LIMITS.max_bytes


async def test_a_body_declared_too_large_is_not_read(server: HostileServer) -> None:
    with pytest.raises(FetchTooLarge):
        await allowed_fetcher().fetch(f"{server.base}/huge-declared")


async def test_a_slow_drip_and_a_silent_server_time_out(server: HostileServer) -> None:
    with pytest.raises(FetchTimedOut):
        await allowed_fetcher(total_seconds=0.5).fetch(f"{server.base}/drip")
    with pytest.raises(FetchFailed):
        await allowed_fetcher(read_seconds=0.3).fetch(f"{server.base}/silent")


async def test_binary_malformed_and_error_pages_never_crash(server: HostileServer) -> None:
    fetcher = allowed_fetcher()

    binary = await fetcher.fetch(f"{server.base}/binary")
    malformed = await fetcher.fetch(f"{server.base}/malformed")
    with pytest.raises(FetchFailed, match="404"):
        await fetcher.fetch(f"{server.base}/not-found")

    assert binary.content_type == "application/octet-stream" and not binary.is_text
    text = extract(malformed.text())
    assert "Unclosed" in text.text and "while(1)" not in text.text


async def test_a_closed_port_fails_cleanly() -> None:
    with pytest.raises(FetchFailed):
        await allowed_fetcher().fetch("http://127.0.0.1:9/")


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for pinned.test, made with the openssl command line."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=pinned.test",
            "-addext",
            "subjectAltName=DNS:pinned.test",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_https_to_a_pinned_address_still_verifies_the_certificate_for_the_host_name(
    certificate: tuple[Path, Path],
) -> None:
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    hostile = HostileServer()
    listener = await asyncio.start_server(hostile.handle, "127.0.0.1", 0, ssl=server_tls)
    port = listener.sockets[0].getsockname()[1]
    resolver = Resolver({"pinned.test": ["127.0.0.1"], "impostor.test": ["127.0.0.1"]})
    fetcher = GuardedFetcher(
        allow_networks=[LOOPBACK], limits=LIMITS, resolver=resolver, tls=ssl.create_default_context(cafile=cert)
    )
    try:
        page = await fetcher.fetch(f"https://pinned.test:{port}/echo-host")
        # Same address, another name: the certificate does not cover it, so the fetch must fail.
        with pytest.raises(FetchFailed):
            await fetcher.fetch(f"https://impostor.test:{port}/echo-host")
    finally:
        listener.close()

    assert page.text() == f"pinned.test:{port}"
