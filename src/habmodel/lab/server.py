"""A plain static web server for a lab folder (``habmodel app``): the standard library's
threaded HTTP server, serving the regular files under one folder and nothing else.

Every request path is checked before anything is opened: a path that is not plain
(``..``, an empty or hidden segment, a backslash, a NUL byte, bad percent-encoding) or
that resolves outside the folder (a symlink pointing out of it) is 404, and so is a
folder (there is never a listing). Only GET and HEAD are served; any other method is 405
(501 for methods HTTP does not know). Files go out with their type (``application/wasm``
for the kernel, ``text/javascript`` for the modules), ``X-Content-Type-Options:
nosniff`` and ``Cache-Control: no-cache``. Nothing is logged per request.

The server computes nothing: it hands out the same few files to every student.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import sys
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

__all__ = ["CONTENT_TYPES", "LabServer", "make_server", "serve", "lab_urls"]

#: Content-Type by file suffix; anything else is ``application/octet-stream``.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".map": "application/json",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
}
_ALLOWED = "GET, HEAD"
_CHUNK = 256 * 1024


def _content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")


class _Handler(BaseHTTPRequestHandler):
    """GET and HEAD of the regular files under ``server.root``; everything else is an
    error with a short plain-text body that echoes nothing of the request."""

    protocol_version = "HTTP/1.1"  # keep-alive: a page's files over one connection
    timeout = 60  # an idle or stalled connection is closed after a minute
    error_content_type = "text/plain; charset=utf-8"

    # --- methods ----------------------------------------------------------------------

    def do_GET(self):  # http.server's naming
        self._send_file(body=True)

    def do_HEAD(self):
        self._send_file(body=False)

    def _not_allowed(self):
        self.send_error(405)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _not_allowed

    # --- files ------------------------------------------------------------------------

    def _resolve(self) -> Path | None:
        """The regular file the request path names inside the root, or None."""
        path = self.path.split("#", 1)[0].split("?", 1)[0]
        if not path.startswith("/"):
            return None
        try:
            text = unquote(path, errors="strict")
        except UnicodeDecodeError:
            return None
        if text == "/":
            text = "/index.html"
        segments = text[1:].split("/")
        for segment in segments:
            if (not segment or segment.startswith(".") or "\\" in segment or ":" in segment
                    or "\x00" in segment or any(ord(c) < 32 for c in segment)):
                return None
        root = self.server.root
        real = os.path.realpath(os.path.join(root, *segments))
        try:
            inside = os.path.commonpath([root, real]) == root and real != root
            regular = inside and stat.S_ISREG(os.stat(real).st_mode)  # no folder, no FIFO
        except (OSError, ValueError):  # missing; another drive (Windows)
            return None
        return Path(real) if regular else None

    def _send_file(self, body: bool) -> None:
        if self.headers.get("Transfer-Encoding") or self.headers.get("Content-Length",
                                                                     "0") != "0":
            self.close_connection = True  # a body is never read: no request after it
        real = self._resolve()
        if real is None:
            self.send_error(404)
            return
        try:
            file = open(real, "rb")  # closed by the with below
        except OSError:
            self.send_error(404)
            return
        with file:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", _content_type(real))
            self.send_header("Content-Length", str(info.st_size))
            self.send_header("Last-Modified", formatdate(info.st_mtime, usegmt=True))
            self.send_header("Cache-Control", "no-cache")
            self.send_header("X-Content-Type-Options", "nosniff")
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if body:
                shutil.copyfileobj(file, self.wfile, _CHUNK)

    # --- errors and logging -----------------------------------------------------------

    def version_string(self):
        return "habmodel"

    def send_error(self, code, message=None, explain=None):
        """A short error: ``404 Not Found`` as plain text, and the connection closed."""
        phrase = self.responses.get(code, ("Error",))[0]
        content = f"{code} {phrase}\n".encode()
        self.close_connection = True
        self.send_response(code, phrase)
        self.send_header("Content-Type", self.error_content_type)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-cache")
        if code == 405:
            self.send_header("Allow", _ALLOWED)
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(content)

    def log_message(self, format, *args):
        """Quiet: no line per request."""


class LabServer(ThreadingHTTPServer):
    """A threaded HTTP server of one folder (``root``, resolved); see the module."""

    daemon_threads = True
    request_queue_size = 128  # a class that opens the page at once
    allow_reuse_address = True

    def __init__(self, root, address, family=socket.AF_INET):
        self.address_family = family
        root = Path(root).resolve(strict=True)
        if not root.is_dir():
            raise NotADirectoryError(f"{root} is not a folder")
        self.root = str(root)
        super().__init__(address, _Handler)

    def server_bind(self):
        if self.address_family == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
            try:  # '::' also takes IPv4 clients where the system allows it
                self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            except (OSError, AttributeError):
                pass
        super().server_bind()

    def handle_error(self, request, client_address):
        """A client that went away is normal; anything else is one line on stderr."""
        err = sys.exc_info()[1]
        if isinstance(err, (ConnectionError, TimeoutError)):
            return
        print(f"habmodel app: error answering {client_address[0]}: "
              f"{type(err).__name__}: {err}", file=sys.stderr)


def make_server(root, host: str = "127.0.0.1", port: int = 8000) -> LabServer:
    """A :class:`LabServer` of the folder ``root``, bound and listening on ``host:port``
    (port 0: any free port; the real one is ``server.server_address[1]``), not yet
    serving: call ``serve_forever()`` (in a thread, for tests) and ``server_close()``.

    Raises ``OSError`` if the address cannot be used (a busy port, an unknown host) and
    ``FileNotFoundError``/``NotADirectoryError`` if ``root`` is not a folder.
    """
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                               flags=socket.AI_PASSIVE)
    family, _, _, _, address = infos[0]
    return LabServer(root, address[:2], family)


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def _local_ipv4() -> list[str]:
    """This machine's non-loopback IPv4 addresses that the socket module can find
    without sending anything (the hostname's addresses; the source address of a
    route, from a UDP socket that is connected but never sends)."""
    found = []
    try:
        found += socket.gethostbyname_ex(socket.gethostname())[2]
    except OSError:
        pass
    for probe in ("10.255.255.255", "192.0.2.1"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.connect((probe, 9))
                found.append(s.getsockname()[0])
        except OSError:
            pass
    return [a for i, a in enumerate(found)
            if not a.startswith(("127.", "0.")) and a not in found[:i]]


def lab_urls(host: str, port: int) -> tuple[str, list[str]]:
    """``(url for this machine, urls for other machines)`` of a server on ``host:port``.

    Listening on every address (``0.0.0.0``, ``::`` or ``""``), the others are the
    hostname's and this machine's IPv4 addresses; on loopback there are none.
    """
    if host in ("", "0.0.0.0", "::"):
        local = _url("::1" if host == "::" else "127.0.0.1", port)
        hostname = socket.gethostname()
        others = ([_url(hostname, port)] if hostname else []) + \
            [_url(a, port) for a in _local_ipv4()]
        return local, others or [_url("localhost", port)]
    loopback = host == "localhost" or host.startswith("127.") or host == "::1"
    return _url(host, port), [] if loopback else [_url(host, port)]


def _open_browser(url: str) -> None:
    try:
        import webbrowser

        webbrowser.open(url)
    except Exception:  # noqa: BLE001 - no browser here is fine: the URL was printed
        pass


def serve(root, host: str = "127.0.0.1", port: int = 8000, *, show: bool = True,
          ready=None) -> None:
    """Serve the lab folder ``root`` on ``host:port`` until Ctrl+C.

    Prints the URL to open (on ``0.0.0.0`` or ``::``, the URLs other machines use as
    well: the hostname and this machine's IPv4 addresses), calls ``ready(url)`` once
    listening, opens the browser if ``show`` (never failing without one). Ctrl+C ends it
    quietly; the socket is always closed. Raises ``OSError`` if it cannot listen.
    """
    server = make_server(root, host, port)
    try:
        local, others = lab_urls(host, server.server_address[1])
        if others and others != [local]:
            print(f"Serving the lab on port {server.server_address[1]} of every address of "
                  "this machine. Students open one of:", flush=True)
            for url in others:
                print(f"  {url}", flush=True)
            print(f"On this machine: {local}", flush=True)
        else:
            where = "this machine only" if not others else "this address"
            print(f"The lab is at {local} ({where}).", flush=True)
        print("Ctrl+C stops the server.", flush=True)
        if ready is not None:
            ready(local)
        if show:
            threading.Thread(target=_open_browser, args=(local,), daemon=True).start()
        server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
