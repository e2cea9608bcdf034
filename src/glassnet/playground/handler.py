"""The playground server's HTTP requests: the checks every request passes, the API, the page's files.

Every request's ``Host`` must name the server and an ``Origin``, if any, must be its own (403
otherwise); every ``/api/`` request carries the session token (the ``token`` query parameter for
GET, the ``X-Glassnet-Token`` header for POST). Bodies are limited (413), mistakes are one line
(400), and the static files come from the built page and from explain's bundled KaTeX only.
"""

from __future__ import annotations

import json
import mimetypes
import secrets
from http.server import BaseHTTPRequestHandler
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from glassnet.errors import GlassnetError

if TYPE_CHECKING:
    from glassnet.playground.server import Server

__all__ = ["COMMAND_LIMIT", "PING_INTERVAL", "STATIC", "UPLOAD_LIMIT", "handler_for"]

COMMAND_LIMIT = 64 * 1024
UPLOAD_LIMIT = 1024 * 1024
PING_INTERVAL = 15.0  # seconds between keep-alive comments on the event stream
STATIC = Path(__file__).resolve().parent / "static"
_KATEX = ("katex.min.js", "katex.min.css")


def handler_for(server: Server) -> type[BaseHTTPRequestHandler]:
    """The request handler class of one playground server."""
    class Handler(_Handler):
        playground = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    playground: Server
    server_version = "glassnet-playground"

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged: the terminal shows the URL and errors only."""

    # ----------------------------------------------------------------- replies
    def _send(self, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, separators=(",", ":"), allow_nan=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8")

    def _error(self, status: int, message: str) -> None:
        self.close_connection = True
        self._json(status, {"error": message})

    # ----------------------------------------------------------------- checks
    def _trusted(self) -> bool:
        """The Host names this server and an Origin, if any, is its own; else a 403 is sent."""
        srv = self.playground
        host = self.headers.get("Host", "")
        if host not in srv.allowed_hosts():
            self._error(403, f"forbidden: the Host header {host!r} is not this playground's address")
            return False
        origin = self.headers.get("Origin")
        if origin is not None and origin not in {f"http://{h}" for h in srv.allowed_hosts()}:
            self._error(403, f"forbidden: requests from {origin!r} are refused; open the playground's "
                             "own URL")
            return False
        return True

    def _token_ok(self, given: str | None) -> bool:
        if given is None or not secrets.compare_digest(given.encode(), self.playground.token.encode()):
            self._error(403, "forbidden: a missing or wrong session token; open the URL the playground "
                             "printed (it ends in ?token=...)")
            return False
        return True

    def _body(self, limit: int, what: str) -> bytes | None:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._error(411, f"{what}: the request needs a Content-Length header")
            return None
        if int(length) > limit:
            self._drain(int(length))
            self._error(413, f"{what}: the body is {int(length):,} bytes; the limit is {limit:,} bytes")
            return None
        return self.rfile.read(int(length))

    def _drain(self, length: int) -> None:
        """Read and drop a refused body (up to 16 MiB), so that the client reads the reply, not a reset."""
        left = min(length, 16 * UPLOAD_LIMIT)
        while left > 0:
            chunk = self.rfile.read(min(left, 65536))
            if not chunk:
                break
            left -= len(chunk)

    # ----------------------------------------------------------------- methods
    def do_GET(self) -> None:
        if not self._trusted():
            return
        url = urlsplit(self.path)
        if not url.path.startswith("/api/"):
            self._static(url.path)
            return
        token = parse_qs(url.query).get("token", [None])[0]
        if not self._token_ok(token):
            return
        try:
            if url.path == "/api/state":
                self._json(200, self.playground.state())
            elif url.path == "/api/events":
                self._events()
            elif url.path == "/api/export":
                self._send(200, self.playground.export(), "application/zip",
                           {"Content-Disposition": 'attachment; filename="glassnet-playground.zip"'})
            else:
                self._error(404, f"no such API: {url.path}")
        except GlassnetError as e:
            self._error(400, " ".join(str(e).split()))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # a bug: one line to the page, the server keeps serving
            self._error(500, f"internal error: {type(e).__name__}: {e}")

    def do_POST(self) -> None:
        if not self._trusted() or not self._token_ok(self.headers.get("X-Glassnet-Token")):
            return
        path = urlsplit(self.path).path
        if path not in ("/api/command", "/api/upload"):
            self._error(404, f"no such API: {path}")
            return
        upload = path == "/api/upload"
        body = self._body(UPLOAD_LIMIT if upload else COMMAND_LIMIT, "upload" if upload else "command")
        if body is None:
            return
        try:
            if upload:
                self._json(200, self.playground.upload(_text(body, "upload.csv is not UTF-8 text")))
            else:
                self._json(200, self.playground.command(_command(body)))
        except GlassnetError as e:
            self._error(400, " ".join(str(e).split()))
        except Exception as e:  # a bug: one line to the page, the server keeps serving
            self._error(500, f"internal error: {type(e).__name__}: {e}")

    def _events(self) -> None:
        """The frame stream: each new frame as one ``frame`` event, a ping comment when there is none."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        frames, seen = self.playground.frames, 0
        try:
            while not frames.closed:
                seen, text = frames.wait(seen, PING_INTERVAL)
                message = f"event: frame\ndata: {text}\n\n" if text else ": ping\n\n"
                self.wfile.write(message.encode("utf-8"))
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page was closed
        self.close_connection = True

    def _static(self, path: str) -> None:
        """The built page (index.html, assets/...) and the bundled KaTeX; nothing else."""
        if path in ("/", "/index.html"):
            target = STATIC / "index.html"
        elif path.startswith("/katex/") and path.removeprefix("/katex/") in _KATEX:
            name = path.removeprefix("/katex/")
            self._send(200, files("glassnet.explain").joinpath("assets", name).read_bytes(),
                       mimetypes.guess_type(name)[0] or "application/octet-stream")
            return
        elif path.startswith("/assets/"):
            target = (STATIC / path.lstrip("/")).resolve()
            if (STATIC / "assets").resolve() not in target.parents:
                target = STATIC / "missing"  # outside assets/: never served
        else:
            target = STATIC / "missing"
        if not target.is_file():
            built = (STATIC / "index.html").is_file()
            self._error(404, f"not found: {path}" if built else "the playground's page is not built in this "
                             "copy of glassnet; run tools/build_playground.py")
            return
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        self._send(200, target.read_bytes(), kind + ("; charset=utf-8" if kind.startswith("text/") else ""))


def _text(body: bytes, error: str) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise GlassnetError(f"{error} ({e.reason} at byte {e.start}); save the table as UTF-8 CSV") from None


def _command(body: bytes) -> Any:
    try:
        return json.loads(_text(body, "the command is not UTF-8 text"))
    except ValueError as e:
        raise GlassnetError(f"the command is not valid JSON ({e}); send {{\"op\": ...}}") from None
