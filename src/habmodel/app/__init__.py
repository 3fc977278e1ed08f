"""``habmodel app``: a browser lab for students, with sliders and no code.

Students change [K+]o, g_NMDA, the glutamate input, ketamine, AP5 and mibefradil, a
holding current and a current step. They see the voltage trace with its bursts, the
firing mode and its numbers, the steady-state I-V curve and where the cell sits on the
firing-mode map, and follow a guided tour. The trace (CSV), the figure (PNG, SVG) and
the settings (a ``params.toml`` that ``habmodel simulate --params`` repeats) can be
downloaded.

Built on Panel (HoloViz) and Bokeh, which serve the page and its scripts from this
machine, so it works with no network. They come with the optional dependency group
``habmodel[app]``. :mod:`habmodel.app.settings` holds the plain-Python part: the
settings, their checks, the simulation and the downloads.
"""

from __future__ import annotations

__all__ = ["serve"]


def serve(port: int = 5006, host: str = "127.0.0.1", *, show: bool = True,
          ready=None) -> None:
    """Serve the lab at ``http://host:port/`` until interrupted (Ctrl+C).

    The fast engine is prepared first (its kernel is compiled once per machine, which can
    take a minute: a message says so). ``show`` opens the page in the default browser.
    ``ready(url)`` is called once the server listens.
    """
    import panel as pn

    from ..engines.fast import build_count
    from ..simulation import simulate
    from .page import create_page
    from .settings import Settings, iv_of

    before = build_count()
    print("habmodel app: preparing the simulator...", flush=True)
    simulate("control", duration="0.05 s", record_v=True, progress=False)
    iv_of(Settings())  # the I-V curves' equations are parsed once, here
    if build_count() > before:
        print("habmodel app: the fast engine's kernel was compiled (once for this machine)",
              flush=True)
    url = f"http://{host}:{port}/"
    server = pn.serve({"/": create_page}, port=port, address=host, show=False, start=False,
                      title="habmodel lab", websocket_origin=[f"{host}:{port}"],
                      threaded=False)
    print(f"habmodel app: serving {url} (Ctrl+C stops it)", flush=True)
    if ready is not None:
        ready(url)
    if show:
        import webbrowser

        server.io_loop.add_callback(webbrowser.open, url)
    try:
        server.start()
        server.io_loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
