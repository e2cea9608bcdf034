"""The playground's server: token, Host and Origin checks, commands, uploads, the frame stream, the CLI."""

from __future__ import annotations

import http.client
import io
import json
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from glassnet.cli import main
from glassnet.errors import GlassnetError
from glassnet.playground import Server
from glassnet.playground.server import COMMAND_LIMIT, UPLOAD_LIMIT


@pytest.fixture
def srv() -> Iterator[Server]:
    server = Server(port=0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def request(srv: Server, method: str, path: str, body: bytes | str | None = None,
            headers: dict[str, str] | None = None, token: bool = True) -> tuple[int, Any]:
    """One request; the reply's status and its JSON body (or raw bytes when not JSON)."""
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    sent = dict(headers or {})
    if token and method == "POST":
        sent.setdefault("X-Glassnet-Token", srv.token)
    c.request(method, path, body=body, headers=sent)
    reply = c.getresponse()
    data = reply.read()
    c.close()
    if reply.getheader("Content-Type", "").startswith("application/json"):
        return reply.status, json.loads(data)
    return reply.status, data


def command(srv: Server, op: dict[str, Any]) -> tuple[int, Any]:
    return request(srv, "POST", "/api/command", json.dumps(op))


def wait(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_state_needs_the_token(srv: Server) -> None:
    status, state = request(srv, "GET", f"/api/state?token={srv.token}")
    assert status == 200 and set(state) == {"config", "frame", "choices", "feature_maps"}
    assert state["frame"]["points"]["train"]["x"]
    for path in ("/api/state", "/api/state?token=wrong", "/api/events", f"/api/export?token={srv.token}x"):
        status, reply = request(srv, "GET", path)
        assert status == 403 and "token" in reply["error"]
    status, reply = request(srv, "POST", "/api/command", json.dumps({"op": "step"}), token=False)
    assert status == 403 and "token" in reply["error"]
    status, reply = request(srv, "POST", "/api/command", json.dumps({"op": "step"}),
                            {"X-Glassnet-Token": "no"})
    assert status == 403 and srv.session.epoch == 0


@pytest.mark.parametrize("host", ["evil.example:80", "127.0.0.1:1", "localhost", ""])
def test_a_foreign_host_is_refused(srv: Server, host: str) -> None:
    for path in ("/", f"/api/state?token={srv.token}"):
        status, reply = request(srv, "GET", path, headers={"Host": host})
        assert status == 403 and "Host" in reply["error"]


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1", "https://localhost"])
def test_a_foreign_origin_is_refused(srv: Server, origin: str) -> None:
    status, reply = request(srv, "POST", "/api/command", json.dumps({"op": "step"}), {"Origin": origin})
    assert status == 403 and "refused" in reply["error"] and srv.session.epoch == 0
    own = f"http://localhost:{srv.port}"
    status, reply = request(srv, "POST", "/api/command", json.dumps({"op": "step"}), {"Origin": own})
    assert status == 200 and reply["frame"]["epoch"] == 1


def test_commands_reply_with_config_and_frame(srv: Server) -> None:
    status, reply = command(srv, {"op": "configure", "changes": {"layers": [3], "lr": 0.1}})
    assert status == 200 and reply["ok"] and reply["config"]["layers"] == [3]
    assert len(reply["frame"]["neurons"]) == 1
    status, reply = command(srv, {"op": "set_weight", "layer": 1, "row": 2, "col": 0, "value": 0.75})
    assert reply["frame"]["weights"][0][2][0] == 0.75
    assert srv.session.model.state_dict()["0.weight"].numpy()[2, 0] == 0.75
    status, reply = command(srv, {"op": "explain", "target": {"kind": "neuron", "layer": 1, "index": 0},
                                  "sample": 1})
    assert status == 200 and reply["explain"]["sections"]


@pytest.mark.parametrize(("body", "message"), [
    (json.dumps({"op": "configure", "changes": {"noise": 99}}), "'noise' must be from 0 to 50"),
    (json.dumps({"op": "warp"}), "unknown op 'warp'"),
    ("{not json", "not valid JSON"),
    (json.dumps([1, 2]), "unknown op None"),
])
def test_bad_commands_get_400_with_one_line(srv: Server, body: str, message: str) -> None:
    status, reply = request(srv, "POST", "/api/command", body)
    assert status == 400 and message in reply["error"] and "\n" not in reply["error"]


def test_oversize_bodies_are_refused_with_a_message(srv: Server) -> None:
    status, reply = request(srv, "POST", "/api/upload", "x1,x2,y\n" + "1,2,0\n" * (UPLOAD_LIMIT // 6 + 10))
    assert status == 413 and "limit is 1,048,576 bytes" in reply["error"]
    big = json.dumps({"op": "step", "pad": "x" * COMMAND_LIMIT})
    status, reply = request(srv, "POST", "/api/command", big)
    assert status == 413 and "limit" in reply["error"]
    assert srv.session.config["dataset"] == "circle" and srv.session.epoch == 0


def test_uploads_are_validated_like_the_cli(srv: Server) -> None:
    status, reply = request(srv, "POST", "/api/upload", "x1,x2,y\n1,2,0\n3,four,1\n")
    assert status == 400 and "line 3, column 'x2' has the non-numeric value 'four'" in reply["error"]
    status, reply = request(srv, "POST", "/api/upload", b"x1,x2,y\n1,2,\xff\n")
    assert status == 400 and "UTF-8" in reply["error"]
    rows = "".join(f"{k * 0.1},{-k * 0.2},{k % 2}\n" for k in range(20))
    status, reply = request(srv, "POST", "/api/upload", rows)
    assert status == 200 and reply["config"]["dataset"] == "custom" and "points" in reply["frame"]
    assert len(srv.session.data.labels) == 20


def test_the_event_stream_delivers_frames(srv: Server) -> None:
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    c.request("GET", f"/api/events?token={srv.token}")
    stream = c.getresponse()
    assert stream.status == 200 and stream.getheader("Content-Type") == "text/event-stream"

    def next_frame() -> dict[str, Any]:
        while True:
            line = stream.fp.readline().decode()
            if line.startswith("data: "):
                return json.loads(line[6:])

    assert next_frame()["epoch"] == 0  # the latest frame at once
    command(srv, {"op": "step"})
    assert next_frame()["epoch"] == 1
    command(srv, {"op": "play"})
    seen = [next_frame() for _ in range(3)]
    command(srv, {"op": "pause"})
    assert seen[-1]["epoch"] > 1 and seen[0]["playing"]
    wait(lambda: not srv.session.playing, "pause")
    c.close()


def test_play_trains_in_the_background_until_pause(srv: Server) -> None:
    command(srv, {"op": "play"})
    wait(lambda: srv.session.epoch >= 5, "five epochs")
    command(srv, {"op": "pause"})
    epoch = srv.session.epoch
    time.sleep(0.2)
    assert srv.session.epoch == epoch  # paused: no more epochs
    assert [h[0] for h in srv.session.history] == list(range(1, epoch + 1))


def test_export_over_http(srv: Server) -> None:
    command(srv, {"op": "step"})
    status, data = request(srv, "GET", f"/api/export?token={srv.token}")
    assert status == 200
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert {n.split("/")[-1] for n in names} >= {"train.py", "train_torch.py", "report.html", "data.csv"}


def test_static_files_and_katex(srv: Server) -> None:
    status, data = request(srv, "GET", "/katex/katex.min.js")
    assert status == 200 and b"katex" in data[:2000]
    for path in ("/assets/../server.py", "/assets/%2e%2e/server.py", "/katex/../walkthrough.py", "/x"):
        status, _ = request(srv, "GET", path)
        assert status == 404, path
    status, data = request(srv, "GET", "/")
    assert status in (200, 404)  # 404 says the page is not built in this copy
    if status == 404:
        assert "tools/build_playground.py" in data["error"]


def test_only_loopback_addresses_and_valid_ports() -> None:
    with pytest.raises(GlassnetError, match="serves this machine only"):
        Server(host="0.0.0.0")
    with pytest.raises(GlassnetError, match="port number"):
        Server(port=70000)


def test_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["playground", "--port", "70000"]) == 2
    assert "port number from 0 to 65535" in capsys.readouterr().err
    assert main(["playground", "--seed", "-1"]) == 2
    run = subprocess.run([sys.executable, "-m", "glassnet", "playground", "--help"], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0 and "--no-browser" in run.stdout


def test_the_command_serves_until_interrupted() -> None:
    # A shell's background job ignores Ctrl-C, and a child inherits that: give it a terminal's default.
    proc = subprocess.Popen([sys.executable, "-m", "glassnet", "playground", "--no-browser", "--seed", "4"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("glassnet playground: http://127.0.0.1:") and "?token=" in line
        url = line.split()[-1]
        port, token = int(url.split(":")[2].split("/")[0]), url.split("token=")[1]
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", f"/api/state?token={token}")
        assert json.loads(c.getresponse().read())["config"]["seed"] == 4
    finally:
        proc.send_signal(2)  # Ctrl-C
        assert proc.wait(timeout=30) == 0
