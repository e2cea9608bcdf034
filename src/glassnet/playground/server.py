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
import secrets
import threading
import time
import webbrowser
from http.server import ThreadingHTTPServer
from typing import Any

from glassnet.errors import GlassnetError
from glassnet.playground.config import choices
from glassnet.playground.frames import build_frame, feature_maps
from glassnet.playground.handler import COMMAND_LIMIT, PING_INTERVAL, UPLOAD_LIMIT, handler_for
from glassnet.playground.session import Session

__all__ = ["COMMAND_LIMIT", "FRAME_INTERVAL", "LOOPBACK", "PING_INTERVAL", "UPLOAD_LIMIT", "Server", "serve"]

FRAME_INTERVAL = 0.05  # seconds between frames while playing, at least
LOOPBACK = ("127.0.0.1", "localhost", "::1")



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

    The session (given, or made from ``seed``) is prepared in a thread of its own from the start, so
    the URL is out while the engine warms up; ``session`` and every request wait for it.

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
        self._session, self._failed = session, ""
        self._ready = threading.Event()  # the session is built and its first frame published
        self.token = secrets.token_urlsafe(24)
        self.lock = threading.Lock()  # the session's: held by a command, a frame, or one epoch
        self.frames = _Frames()
        self._stopping = threading.Event()
        self._wake = threading.Event()  # play was pressed
        self._sent_data = -1  # the data_version of the last frame published with its points
        self.httpd = ThreadingHTTPServer((host, port), handler_for(self))
        self.httpd.daemon_threads = True
        self.host, self.port = host, int(self.httpd.server_address[1])
        self._threads: list[threading.Thread] = []
        self._launch(self._prepare, seed)  # the URL can be printed while the session is being built

    def _launch(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name=f"playground-{target.__name__}")
        thread.start()
        self._threads.append(thread)

    def _prepare(self, seed: int) -> None:
        """Build the session (its first use loads the engine's compiled helpers) and publish its frame."""
        try:
            if self._session is None:
                self._session = Session(seed=seed)
            with self.lock:
                self.publish()
        except GlassnetError as e:
            self._failed = str(e)
        finally:
            self._ready.set()

    @property
    def session(self) -> Session:
        """The Session the page drives (waits until it is built)."""
        self._ready.wait()
        if self._session is None or self._failed:
            raise GlassnetError(f"the playground's session could not be made: {self._failed}")
        return self._session

    @property
    def url(self) -> str:
        """The page's address with the session token."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/?token={self.token}"

    def allowed_hosts(self) -> set[str]:
        return {f"127.0.0.1:{self.port}", f"localhost:{self.port}", f"[::1]:{self.port}"}

    def start(self) -> None:
        """Serve requests and train in background threads (daemons)."""
        self._launch(self.httpd.serve_forever)
        self._launch(self._train)

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
        session = self._session
        assert session is not None  # frames are built once the session exists
        return build_frame(session, points=session.data_version != self._sent_data)

    def publish(self) -> dict[str, Any]:
        """Build the frame and send it to every event stream (call with the lock held)."""
        frame = self.frame()
        if "points" in frame:
            self._sent_data = frame["data_version"]
        self.frames.publish(frame)
        return frame

    def _train(self) -> None:
        """While playing: one epoch after another, a frame at most every FRAME_INTERVAL seconds."""
        last = 0.0
        self._ready.wait()
        while not self._stopping.is_set() and not self._failed:
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
    # Each takes the session (waiting until it is built) before the lock, which building needs.
    def state(self) -> dict[str, Any]:
        session = self.session
        with self.lock:
            frame = build_frame(session, points=True)
            return {"config": session.config, "frame": frame, "choices": choices(),
                    "feature_maps": feature_maps()}

    def command(self, op: Any) -> dict[str, Any]:
        """Run one command; the reply (and a frame for the streams, if anything changed)."""
        session = self.session
        with self.lock:
            extra = session.command(op)
            if "explain" in extra:
                return {"ok": True, **extra}
            frame = self.publish()
            config = session.config
        if session.playing:
            self._wake.set()
        return {"ok": True, "config": config, "frame": frame}

    def upload(self, text: str) -> dict[str, Any]:
        session = self.session
        with self.lock:
            session.upload(text)
            frame, config = self.publish(), session.config
        return {"ok": True, "config": config, "frame": frame}

    def export(self) -> bytes:
        from glassnet.playground.export import export_zip  # the report's modules load on first use

        session = self.session
        with self.lock:
            return export_zip(session)


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
