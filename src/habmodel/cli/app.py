"""``habmodel app``: the browser lab (docs/app.md)."""

from __future__ import annotations

__all__ = ["add_app"]


def add_app(sub) -> None:
    p = sub.add_parser(
        "app", help="a browser lab: sliders, a live voltage trace, a guided tour",
        description="Start the browser lab on this machine and open it in the browser: "
        "sliders for [K+]o, g_NMDA, the glutamate input, ketamine, AP5, mibefradil, a "
        "holding current and a current step; the live trace with its bursts, the firing "
        "mode, the I-V curve and the firing-mode map; downloads of the trace, the figure "
        "and the settings. Needs the optional dependencies: pip install 'habmodel[app]'.")
    p.add_argument("--port", default="5006", metavar="N", help="port (default 5006)")
    p.add_argument("--host", default="127.0.0.1", metavar="ADDRESS",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(handler=_app)


def _app(args, argv) -> int:
    from .common import fail, integer

    port = integer("--port", args.port, 1, 65535)
    try:
        import panel  # noqa: F401
    except ImportError:
        return fail("app: needs Panel, which is not installed; install the optional "
                    "dependencies with: pip install 'habmodel[app]'", 2)
    from ..app import serve

    try:
        serve(port, args.host, show=not args.no_browser)
    except OSError as err:
        return fail(f"app: cannot listen on {args.host}:{port}: {err.strerror or err}", 2)
    return 0
