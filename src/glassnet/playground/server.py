"""The playground's local web server: the page, a stream of frames (Server-Sent Events) and commands.

It binds a loopback address only and trusts no one by default: every request must name this
server in its ``Host`` header (so a DNS-rebinding page cannot reach it), an ``Origin`` header, if
any, must be this server's own (so another page open in the browser cannot post to it), and every
``/api/`` request must carry the session token printed in the URL. One thread trains while the
session plays; a lock makes every command and every frame see the session between two epochs.
"""

from __future__ import annotations

import json
import math
import mimetypes
import secrets
import threading
import time
import webbrowser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from glassnet.errors import GlassnetError
from glassnet.playground.config import choices
from glassnet.playground.frames import build_frame
from glassnet.playground.session import Session

__all__ = ["COMMAND_LIMIT", "FRAME_INTERVAL", "LOOPBACK", "PING_INTERVAL", "UPLOAD_LIMIT", "Server", "serve"]

COMMAND_LIMIT = 64 * 1024
UPLOAD_LIMIT = 1024 * 1024
FRAME_INTERVAL = 0.05  # seconds between frames while playing, at least
PING_INTERVAL = 15.0  # seconds between keep-alive comments on the event stream
LOOPBACK = ("127.0.0.1", "localhost", "::1")

STATIC = Path(__file__).resolve().parent / "static"
_KATEX = ("katex.min.js", "katex.min.css")


class _Frames:
    """The latest frame as JSON text, with a version number the event streams wait on."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.version, self.text, self.closed = 0, "", False

    def publish(self, frame: dict[str, Any]) -> None:
        text = json.dumps(frame, separators=(",", ":"), allow_nan=False)
        with self.changed:
            self.version, self.text = self.version + 1, text
            self.changed.notify_all()

    def wait(self, seen: int, timeout: float) -> tuple[int, str]:
        """(version, text) once a frame newer than ``seen`` is out, or (seen, "") after ``timeout``."""
        with self.changed:
            self.changed.wait_for(lambda: self.version > seen or self.closed, timeout)
            return (self.version, self.text) if self.version > seen else (seen, "")

    def close(self) -> None:
        with self.changed:
            self.closed = True
            self.changed.notify_all()


class Server:
    """The playground server for one Session; ``start()`` serves in background threads.

    >>> srv = Server(port=0)
    >>> srv.start(); srv.url.startswith("http://127.0.0.1:")
    True
    >>> srv.stop()
    """

    def __init__(self, port: int = 0, seed: int = 0, host: str = "127.0.0.1",
                 session: Session | None = None) -> None:
        if host not in LOOPBACK:
            raise GlassnetError(f"the playground serves this machine only: host must be one of "
                                f"{', '.join(LOOPBACK)}, got {host!r}")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise GlassnetError(f"--port must be a port number from 0 to 65535 (0: any free one), "
                                f"got {port!r}")
        self.session = session if session is not None else Session(seed=seed)
        self.token = secrets.token_urlsafe(24)
        self.lock = threading.Lock()  # the session's: held by a command, a frame, or one epoch
        self.frames = _Frames()
        self._stopping = threading.Event()
        self._wake = threading.Event()  # play was pressed
        self._sent_data = -1  # the data_version of the last frame published with its points
        self.httpd = ThreadingHTTPServer((host, port), _handler(self))
        self.httpd.daemon_threads = True
        self.host, self.port = host, int(self.httpd.server_address[1])
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        """The page's address with the session token."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/?token={self.token}"

    def allowed_hosts(self) -> set[str]:
        return {f"127.0.0.1:{self.port}", f"localhost:{self.port}", f"[::1]:{self.port}"}

    def start(self) -> None:
        """Serve requests and train in background threads (daemons)."""
        with self.lock:
            self.publish()
        for target in (self.httpd.serve_forever, self._train):
            thread = threading.Thread(target=target, daemon=True, name=f"playground-{target.__name__}")
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop training and serving, close the event streams and the socket."""
        self._stopping.set()
        self._wake.set()
        self.frames.close()
        self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    # ----------------------------------------------------------------- frames and training
    def frame(self) -> dict[str, Any]:
        """The session's frame now, with the points if the data changed since the last frame published
        (call with the lock held)."""
        points = self.session.data_version != self._sent_data
        return build_frame(self.session, points=points)

    def publish(self) -> dict[str, Any]:
        """Build the frame and send it to every event stream (call with the lock held)."""
        frame = self.frame()
        if "points" in frame:
            self._sent_data = self.session.data_version
        self.frames.publish(frame)
        return frame

    def _train(self) -> None:
        """While playing: one epoch after another, a frame at most every FRAME_INTERVAL seconds."""
        last = 0.0
        while not self._stopping.is_set():
            if not self.session.playing:
                self._wake.wait(0.25)
                self._wake.clear()
                continue
            with self.lock:
                if self.session.playing:
                    self._epoch()
                    now = time.monotonic()
                    if now - last >= FRAME_INTERVAL or not self.session.playing:
                        self.publish()
                        last = now
            time.sleep(0.0005)  # let a waiting command take the lock

    def _epoch(self) -> None:
        session = self.session
        try:
            session.step()
        except GlassnetError:
            session.playing = False
            return
        if not math.isfinite(session.losses[0]):
            session.playing = False  # diverged: the page shows the loss, the learner lowers the rate

    # ----------------------------------------------------------------- requests
    def state(self) -> dict[str, Any]:
        with self.lock:
            return {"config": self.session.config, "frame": build_frame(self.session, points=True),
                    "choices": choices()}

    def command(self, op: Any) -> dict[str, Any]:
        """Run one command; the reply (and a frame for the streams, if anything changed)."""
        with self.lock:
            extra = self.session.command(op)
            if "explain" in extra:
                return {"ok": True, **extra}
            frame = self.publish()
        if self.session.playing:
            self._wake.set()
        return {"ok": True, "config": self.session.config, "frame": frame}

    def upload(self, text: str) -> dict[str, Any]:
        with self.lock:
            self.session.upload(text)
            frame = self.publish()
        return {"ok": True, "config": self.session.config, "frame": frame}

    def export(self) -> bytes:
        from glassnet.playground.export import export_zip  # the report's modules load on first use

        with self.lock:
            return export_zip(self.session)


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
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
            if STATIC.resolve() not in target.parents:
                target = STATIC / "missing"
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


def serve(port: int = 0, open_browser: bool = True, seed: int = 0, host: str = "127.0.0.1") -> None:
    """Start the playground, print its URL (with the session token), open it in the browser, and serve
    until interrupted (Ctrl-C)."""
    srv = Server(port=port, seed=seed, host=host)
    srv.start()
    print(f"glassnet playground: {srv.url}\n(Ctrl-C stops it)", flush=True)
    if open_browser:
        webbrowser.open(srv.url)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()
