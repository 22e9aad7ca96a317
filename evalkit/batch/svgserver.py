"""A warm process that draws the batch's static charts.

vl-convert's JavaScript runtime takes ~0.6 s to start and does not survive a fork, so a
unit forked from the warm fork server would start it anew for every page. Instead the
fork server starts drawing processes (fresh interpreters, :func:`serve`) that keep
vl-convert warm; units send it their specs over a Unix socket (:func:`draw`) and fall
back to drawing in their own process when it is not there. It ends when the fork server
that started it is gone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import Any

SVG_SERVER_ENV = "EVALKIT_BATCH_SVG_SERVER"
"""Environment variable: the drawing processes' sockets (set by the fork server); a unit
uses one of them, by its process id."""
_KEY = b"evalkit-svg"
_WAIT = 5.0
_lock = threading.Lock()
_connection: Connection | None = None


def start(processes: int | None = None) -> None:
    """Start the drawing processes (in the fork server; one per core: drawing is most of
    a page's work) and tell later units their addresses."""
    if os.environ.get(SVG_SERVER_ENV):
        return
    folder = Path(tempfile.mkdtemp(prefix="evalkit-svg-"))
    addresses = [str(folder / str(i)) for i in range(processes or os.cpu_count() or 1)]
    for address in addresses:
        code = f"from evalkit.batch.svgserver import serve; serve({address!r}, {os.getpid()})"
        # Its own session: a Ctrl-C in the terminal is the batch's to handle (it ends the
        # fork server, and the drawing processes follow it quietly).
        subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL, start_new_session=True)
    os.environ[SVG_SERVER_ENV] = os.pathsep.join(addresses)


def _handle(conn: Connection) -> None:
    from evalkit.render import vl_draw

    with conn:
        while True:
            try:
                spec, lang = conn.recv()
            except (EOFError, OSError):
                return
            try:
                with _lock:
                    reply = ("ok", vl_draw(spec, lang))
            except Exception as exc:
                reply = ("error", f"{type(exc).__name__}: {exc}")
            try:
                conn.send(reply)
            except OSError:  # the unit is gone (killed by a Ctrl-C or its time limit)
                return


def serve(address: str, parent: int) -> None:
    """The drawing process: warm vl-convert, then draw until ``parent`` is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from evalkit.render import vl_draw

    vl_draw({"mark": "point", "data": {"values": [{"a": 1}]}, "encoding": {"x": {"field": "a", "type": "quantitative"}}},
            "nb")

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        Path(address).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            Path(address).parent.rmdir()  # the last one out
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
    with Listener(address, family="AF_UNIX", authkey=_KEY) as listener:
        while True:
            try:
                conn = listener.accept()
            except Exception:
                continue
            threading.Thread(target=_handle, args=(conn,), daemon=True).start()


def draw(spec: dict[str, Any], lang: Any) -> str:
    """Draw through the drawing process (waiting a little for it to start); in this
    process when there is none."""
    from evalkit.render import vl_draw

    global _connection
    addresses = os.environ.get(SVG_SERVER_ENV, "").split(os.pathsep)
    address = addresses[os.getpid() % len(addresses)]
    if _connection is None and address:
        deadline = time.monotonic() + _WAIT
        while _connection is None and time.monotonic() < deadline:
            try:
                _connection = Client(address, family="AF_UNIX", authkey=_KEY)
            except OSError:
                time.sleep(0.05)
        if _connection is None:
            os.environ.pop(SVG_SERVER_ENV, None)
    if _connection is not None:
        try:
            _connection.send((spec, lang))
            status, svg = _connection.recv()
            if status == "ok":
                return str(svg)
        except (EOFError, OSError):
            _connection = None
    return vl_draw(spec, lang)
