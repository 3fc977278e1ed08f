"""The lab's static server (:mod:`habmodel.lab.server`) and the commands around it:
``habmodel lab --out DIR`` writes the folder, ``habmodel app`` serves it.

Requests are sent with ``http.client`` (or a raw socket), so that a path reaches the
server as written, not normalised by a client library. Everything listens on loopback.
"""

import _thread
import http.client
import json
import os
import queue
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from habmodel.engines import wasm
from habmodel.lab import build_lab
from habmodel.lab.server import CONTENT_TYPES, lab_urls, make_server, serve

ROOT = Path(__file__).resolve().parents[1]
PART = ROOT / "examples" / "a_type_potassium.py"
SECRET = b"secret: outside the lab\n"
TIMEOUT = 20
#: Extra files for the content-type checks (the page's own files may change).
EXTRA = {"style.css": b"body{}", "icon.svg": b"<svg/>", "notes.txt": b"hello",
         "pixel.png": b"\x89PNG\r\n\x1a\n", "module.mjs": b"export const x = 1;",
         "data.bin": b"\x00\x01"}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A built lab with a few extra files, beside a secret it must never hand out; inside
    it, links to the secret and to the folder that holds it."""
    base = tmp_path_factory.mktemp("served")
    (base / "secret.txt").write_bytes(SECRET)
    (base / "private").mkdir()
    (base / "private" / "secret.txt").write_bytes(SECRET)
    folder = build_lab(base / "lab")
    if not (folder / "index.html").is_file():  # the page may not be written yet
        (folder / "index.html").write_text("<!doctype html><title>lab</title>\n")
    for name, data in EXTRA.items():
        (folder / name).write_bytes(data)
    (folder / "empty").mkdir()
    if hasattr(os, "symlink"):
        os.symlink(base / "secret.txt", folder / "link.txt")
        os.symlink(base / "private", folder / "linked")
    return folder


@pytest.fixture(scope="module")
def port(lab):
    """A server of ``lab`` on a free loopback port, serving in a thread."""
    server = make_server(lab, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(TIMEOUT)


def request(port, method, path, headers=None):
    """``(status, headers, body)`` of one request, its path sent exactly as given."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for key, value in (headers or {}).items():
            conn.putheader(key, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def raw(port, data: bytes) -> bytes:
    """The whole answer to bytes written to the socket as they are."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        s.sendall(data)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def lab_files(folder):
    """Every regular file of the lab, as URL paths (links and extras left out)."""
    return {"/" + p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink() and p.name not in EXTRA}


# --- what is served ---------------------------------------------------------------------

def test_every_file_is_served_with_its_bytes(lab, port):
    for path, file in lab_files(lab).items():
        status, headers, body = request(port, "GET", path)
        assert status == 200, path
        assert body == file.read_bytes(), path
        assert headers["Content-Length"] == str(file.stat().st_size)
        assert headers["X-Content-Type-Options"] == "nosniff"
    status, _, body = request(port, "GET", "/")
    assert status == 200 and body == (lab / "index.html").read_bytes()
    status, _, body = request(port, "GET", "/model.json?v=2#top")
    assert status == 200 and json.loads(body)["kernel"]["file"] == "kernel.wasm"


@pytest.mark.parametrize(("name", "expected"), [
    ("index.html", "text/html; charset=utf-8"),
    ("engine.js", "text/javascript"),
    ("module.mjs", "text/javascript"),
    ("kernel.wasm", "application/wasm"),
    ("model.json", "application/json"),
    ("style.css", "text/css"),
    ("icon.svg", "image/svg+xml"),
    ("notes.txt", "text/plain"),
    ("pixel.png", "image/png"),
    ("data.bin", "application/octet-stream"),
])
def test_content_types(name, expected, lab, port):
    status, headers, _ = request(port, "GET", f"/{name}")
    assert status == 200
    assert headers["Content-Type"].split(";")[0] == expected.split(";")[0]
    if ";" in expected:
        assert headers["Content-Type"] == expected
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert CONTENT_TYPES[".wasm"] == "application/wasm"


def test_head_sends_the_headers_and_no_body(lab, port):
    status, headers, body = request(port, "HEAD", "/kernel.wasm")
    assert status == 200 and body == b""
    assert headers["Content-Type"] == "application/wasm"
    assert headers["Content-Length"] == str((lab / "kernel.wasm").stat().st_size)
    status, _, body = request(port, "HEAD", "/missing.js")
    assert status == 404 and body == b""


# --- what is not --------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/.%2e/secret.txt",
    "/..%2fsecret.txt", "/..%2f..%2fetc/passwd", "/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/vendor/../../secret.txt", "/vendor/%2e%2e/%2e%2e/secret.txt",
    "/%252e%252e/secret.txt", "//etc/passwd", "///etc/passwd", "/%2fetc%2fpasswd",
    "/..\\secret.txt", "/..%5csecret.txt", "/vendor\\..\\..\\secret.txt",
    "/model.json%00", "/model.json%00.txt", "/%00", "/%c0%ae%c0%ae/secret.txt",
    "/%ff", "/C:/Windows/win.ini", "/./model.json", "/vendor//plotly-basic.min.js",
    "/.hidden", "/link.txt", "/linked/secret.txt", "/missing.html", "secret.txt",
    "http://127.0.0.1/../secret.txt", "*",
])
def test_paths_outside_the_lab_are_404(path, port):
    status, _, body = request(port, "GET", path)
    assert status == 404, path
    assert body == b"404 Not Found\n"
    assert SECRET not in body


def test_raw_nul_and_dot_dot_are_404(port):
    for target in (b"/model.json\x00", b"/\x00/../secret.txt", b"/../secret.txt",
                   b"/\x2e\x2e/\x2e\x2e/etc/passwd"):
        answer = raw(port, b"GET " + target + b" HTTP/1.0\r\n\r\n")
        assert answer.startswith(b"HTTP/1.0 404 ") or answer.startswith(b"HTTP/1.1 404 "), answer
        assert SECRET not in answer


@pytest.mark.parametrize("path", ["/vendor", "/vendor/", "/empty/", "/empty", "/linked/"])
def test_folders_are_404_without_a_listing(path, port):
    status, _, body = request(port, "GET", path)
    assert status == 404
    assert b"plotly" not in body and b"secret" not in body


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_refused(method, port, lab):
    status, headers, body = request(port, method, "/model.json",
                                    {"Content-Length": "0"})
    assert status == 405
    assert headers["Allow"] == "GET, HEAD"
    assert body == b"405 Method Not Allowed\n"
    assert (lab / "model.json").is_file()


def test_unknown_methods_are_501_and_nothing_is_echoed(port):
    status, _, body = request(port, "BREW<script>", "/model.json")
    assert status == 501
    assert body == b"501 Not Implemented\n"


def test_a_request_body_closes_the_connection(port):
    answer = raw(port, b"GET /notes.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
                       b"GET /model.json HTTP/1.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ") and b"Connection: close" in answer
    assert answer.endswith(b"\r\n\r\n" + EXTRA["notes.txt"])  # one answer only


def test_the_server_is_quiet(port, capsys):
    request(port, "GET", "/model.json")
    request(port, "GET", "/../secret.txt")
    request(port, "POST", "/", {"Content-Length": "0"})
    raw(port, b"nonsense\r\n\r\n")
    for _ in range(3):  # clients that go away mid-download
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.sendall(b"GET /vendor/plotly-basic.min.js HTTP/1.1\r\nHost: x\r\n\r\n")
            s.recv(100)
    request(port, "GET", "/model.json")
    time.sleep(0.3)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_50_clients_at_once_get_every_file(lab, port):
    files = {path: file.read_bytes() for path, file in lab_files(lab).items()}
    n = 50
    start = threading.Barrier(n, timeout=TIMEOUT)
    problems = queue.Queue()

    def client(i):
        try:
            start.wait()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
            try:
                for path, data in files.items():  # one keep-alive connection per client
                    conn.request("GET", path)
                    response = conn.getresponse()
                    body = response.read()
                    if response.status != 200 or body != data:
                        problems.put(f"client {i}: {path}: {response.status}, "
                                     f"{len(body)} of {len(data)} bytes")
            finally:
                conn.close()
        except Exception as err:  # noqa: BLE001 - reported below
            problems.put(f"client {i}: {type(err).__name__}: {err}")

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(4 * TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a client did not finish in time"
    assert list(problems.queue) == []


# --- serve() and its URLs -----------------------------------------------------------------

def test_serve_prints_the_url_calls_ready_and_stops_on_ctrl_c(lab, capsys, monkeypatch):
    import webbrowser

    opened = threading.Event()

    def no_browser(url, *args, **kwargs):
        opened.set()
        raise webbrowser.Error("no browser here")

    monkeypatch.setattr(webbrowser, "open", no_browser)
    got = {}

    def fetch(url):
        try:
            with urllib.request.urlopen(url + "model.json", timeout=TIMEOUT) as response:
                got["model"] = json.loads(response.read())
        finally:
            _thread.interrupt_main()  # Ctrl+C

    def ready(url):
        got["url"] = url
        threading.Thread(target=fetch, args=(url,), daemon=True).start()

    serve(lab, "127.0.0.1", 0, show=True, ready=ready)
    out = capsys.readouterr()
    assert got["url"] in out.out and got["url"].startswith("http://127.0.0.1:")
    assert "kernel" in got["model"]
    assert "Traceback" not in out.err and out.err == ""
    assert opened.wait(TIMEOUT)
    port = int(got["url"].rsplit(":", 1)[1].strip("/"))
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass  # the socket is closed


def test_urls_for_every_address_name_this_machine():
    local, others = lab_urls("0.0.0.0", 8000)
    assert local == "http://127.0.0.1:8000/"
    assert others and all(url.endswith(":8000/") and "//127." not in url for url in others)
    assert lab_urls("::", 8000)[0] == "http://[::1]:8000/"
    assert lab_urls("127.0.0.1", 8001) == ("http://127.0.0.1:8001/", [])
    assert lab_urls("192.0.2.7", 80) == ("http://192.0.2.7:80/", ["http://192.0.2.7:80/"])


# --- habmodel lab -------------------------------------------------------------------------

def test_habmodel_lab_writes_a_complete_folder(tmp_path, run_cli):
    out = tmp_path / "lab"
    status, stdout, stderr = run_cli(["lab", "--out", out])
    assert status == 0, stderr
    for name in ("model.json", "kernel.wasm", "engine.js", "vendor/plotly-basic.min.js"):
        assert (out / name).is_file(), name
    assert json.loads((out / "model.json").read_text())["kernel"]["file"] == "kernel.wasm"
    assert f"habmodel app --dir {out}" in stdout and "http.server" in stdout
    (out / "stale.txt").write_text("from before")  # a lab is replaced by a new one
    status, _, stderr = run_cli(["lab", "--out", out])
    assert status == 0, stderr
    assert not (out / "stale.txt").exists() and (out / "model.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lab"]  # nothing left aside


def test_habmodel_lab_refuses_a_folder_that_is_not_a_lab(tmp_path, run_cli, one_line_error):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("keep me")
    status, stdout, stderr = run_cli(["lab", "--out", out])
    assert status == 2 and stdout == ""
    one_line_error(stderr, "--out", "not a habmodel lab")
    assert [p.name for p in out.iterdir()] == ["thesis.tex"]
    (tmp_path / "file").write_text("x")
    status, _, stderr = run_cli(["lab", "--out", tmp_path / "file"])
    assert status == 2
    one_line_error(stderr, "--out", "not a folder")


@pytest.fixture
def no_wasm_toolchain(monkeypatch):
    monkeypatch.setenv("HABMODEL_WASM_CC", "/nonexistent/clang")
    wasm.toolchain.cache_clear()
    yield
    wasm.toolchain.cache_clear()


def test_habmodel_lab_part_without_the_toolchain_is_one_line(tmp_path, run_cli,
                                                            one_line_error, no_wasm_toolchain):
    out = tmp_path / "lab"
    status, stdout, stderr = run_cli(["lab", "--out", out, "--part", PART])
    assert status == 2 and stdout == ""
    one_line_error(stderr, "lab:", "WebAssembly toolchain",
                   "install it with: apt-get install clang lld wasi-libc libclang-rt-dev-wasm32")
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_habmodel_lab_bad_part_file_is_one_line(tmp_path, run_cli, one_line_error):
    status, _, stderr = run_cli(["lab", "--out", tmp_path / "lab", "--part",
                                 tmp_path / "missing.py"])
    assert status == 2
    one_line_error(stderr, "--part", "missing.py")
    assert list(tmp_path.iterdir()) == []


# --- habmodel app -------------------------------------------------------------------------

@pytest.mark.parametrize(("argv", "needles"), [
    (["--port", "http"], ["--port", "whole number"]),
    (["--port", "70000"], ["--port"]),
    (["--host", ""], ["--host"]),
    (["--dir", "{tmp}/none"], ["--dir", "not a folder"]),
    (["--dir", "{tmp}"], ["--dir", "model.json"]),
])
def test_habmodel_app_bad_input_is_one_line(argv, needles, tmp_path, run_cli, one_line_error):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    status, _, stderr = run_cli(["app", "--no-browser", *argv])
    assert status == 2
    one_line_error(stderr, *needles)


def test_habmodel_app_on_a_busy_port_is_one_line(lab, run_cli, one_line_error):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        status, _, stderr = run_cli(["app", "--no-browser", "--port", taken, "--dir", lab])
    assert status == 2
    one_line_error(stderr, "cannot listen", str(taken))


def _start_app(tmp_path, *extra):
    """``habmodel app --no-browser --port 0`` in a subprocess; ``(process, url)``."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "TEMP": str(temp), "TMP": str(temp),
           "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "habmodel", "app", "--no-browser",
                             "--port", "0", *extra], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    lines = queue.Queue()

    def read():
        try:
            for line in proc.stdout:
                lines.put(line)
        except (OSError, ValueError):  # closed once the test is done with it
            pass
        lines.put("")

    threading.Thread(target=read, daemon=True).start()
    try:
        while True:
            line = lines.get(timeout=120)
            if not line:
                raise AssertionError(f"habmodel app exited: {proc.wait(TIMEOUT)}, "
                                     f"{proc.stderr.read()}")
            if match := re.search(r"http://\S+/", line):
                return proc, match.group(0), temp
    except BaseException:
        with proc:
            proc.kill()
        raise


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT"])
def test_habmodel_app_serves_the_packaged_lab_and_stops_cleanly(stop, tmp_path):
    if sys.platform == "win32":
        pytest.skip("POSIX signals")
    proc, url, temp = _start_app(tmp_path)
    with proc:
        try:
            assert url.startswith("http://127.0.0.1:")
            assert list(temp.iterdir()), "the packaged lab is written to a temporary folder"
            with urllib.request.urlopen(url + "model.json", timeout=TIMEOUT) as response:
                assert response.headers["Content-Type"] == "application/json"
                assert json.loads(response.read())["kernel"]["file"] == "kernel.wasm"
        finally:
            proc.send_signal(getattr(signal, stop))
            try:
                status = proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
        err = proc.stderr.read()
    assert status == 0, err
    assert "Traceback" not in err and err == ""
    assert list(temp.iterdir()) == []  # the temporary lab is removed


def test_habmodel_app_serves_a_lab_folder(lab, tmp_path):
    proc, url, temp = _start_app(tmp_path, "--dir", str(lab))
    with proc:
        try:
            with urllib.request.urlopen(url + "notes.txt", timeout=TIMEOUT) as response:
                assert response.read() == EXTRA["notes.txt"]
            assert list(temp.iterdir()) == []  # nothing built
        finally:
            proc.terminate()
            proc.wait(TIMEOUT)
