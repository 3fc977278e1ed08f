"""``habmodel app``: serve the browser lab (a static folder, :mod:`habmodel.lab`) and open
it. The page runs the model in each student's browser; this server only hands out files."""

from __future__ import annotations

import signal
import tempfile
import threading
from pathlib import Path

__all__ = ["add_app"]


def add_app(sub) -> None:
    p = sub.add_parser(
        "app", help="serve the browser lab (sliders, live trace, guided tour) and open it",
        description="Serve the browser lab and open it in the browser. The lab is a folder of "
        "static files that runs the model in the browser itself, so the server computes "
        "nothing and any number of students can use it. Without --dir the packaged lab is "
        "served (written to a temporary folder, removed at exit); --dir serves a folder "
        "written by 'habmodel lab --out DIR' (with your own --part currents, for example). "
        "With --host 0.0.0.0 other machines can open it: the URLs to give them are printed. "
        "Ctrl+C stops it.")
    p.add_argument("--host", default="127.0.0.1", metavar="ADDRESS",
                   help="address to listen on (default 127.0.0.1: this machine only; "
                   "0.0.0.0 or :: for every address, e.g. a classroom network)")
    p.add_argument("--port", default="8000", metavar="N",
                   help="port (default 8000; 0: any free port)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--dir", default=None, metavar="DIR",
                   help="serve this lab folder (written by habmodel lab --out DIR) instead of "
                   "the packaged lab")
    p.set_defaults(handler=_app)


def _app(args, argv) -> int:
    from ..lab import LAB_MARKER, build_lab
    from .common import UsageError, fail, integer

    port = integer("--port", args.port, 0, 65535)
    host = args.host.strip()
    if not host or any(c.isspace() for c in host):
        raise UsageError(f"--host: expected an address such as 127.0.0.1 or 0.0.0.0, "
                         f"got '{args.host}'")
    if args.dir is not None:
        root = Path(args.dir)
        if not root.is_dir():
            raise UsageError(f"--dir: {root} is not a folder")
        if not (root / LAB_MARKER).is_file():
            raise UsageError(f"--dir: {root} has no {LAB_MARKER}, so it is not a lab; "
                             "write one with: habmodel lab --out DIR")
        return _serve(root, host, port, not args.no_browser)
    with tempfile.TemporaryDirectory(prefix="habmodel-lab-") as tmp:
        try:
            root = build_lab(Path(tmp) / "lab")
        except OSError as err:
            return fail(f"app: cannot write the lab to {tmp}: {err.strerror or err}", 2)
        return _serve(root, host, port, not args.no_browser)


def _stop(signum, frame):
    raise KeyboardInterrupt


def _serve(root: Path, host: str, port: int, show: bool) -> int:
    """Serve until Ctrl+C, SIGTERM or SIGHUP (each ends it cleanly, so that a temporary
    lab folder is removed)."""
    from ..lab.server import serve
    from .common import PROG, fail

    signals = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    main_thread = threading.current_thread() is threading.main_thread()
    previous = {s: signal.signal(s, _stop) for s in signals} if main_thread else {}
    try:
        serve(root, host, port, show=show)
    except OSError as err:
        return fail(f"app: cannot listen on {host}:{port}: {err.strerror or err}", 2)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    print(f"{PROG} app: stopped", flush=True)
    return 0
