"""The web dashboard from Python: watch and explore studies live in the
browser, the same server as ``ferrotune dashboard``.

    import ferrotune
    ferrotune.dashboard.run("sqlite:///study.db")          # blocks; Ctrl-C stops

    server = ferrotune.dashboard.start(study_storage, port=0)  # returns at once
    print(server.url)
    ...
    server.stop()

``run_server`` is optuna-dashboard's name for ``run``. A storage object
(``InMemoryStorage`` included) is read through the same handle the studies
use; a SQLite URL is opened read-only, so the dashboard never locks a study
another process is running. Bound to an address other than 127.0.0.1, pass a
``token`` that every request must carry (the printed URL carries it).
"""

from __future__ import annotations

import time
from typing import Any, Optional

from ferrotune import _ferrotune

__all__ = ["DashboardServer", "run", "run_server", "start"]

DashboardServer = _ferrotune.DashboardServer


def start(storage: Any, host: str = "127.0.0.1", port: int = 8080, *, token: Optional[str] = None) -> DashboardServer:
    """Start the dashboard on ``storage`` (a storage object or URL) and return
    the running server (``.url``, ``.stop()``). ``port=0`` picks a free port."""
    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
        raise ValueError(f"port must be an int in 0..65535, got {port!r}")
    if token is not None and not isinstance(token, str):
        raise TypeError(f"token must be a str, got {type(token).__name__}")
    return _ferrotune._start_dashboard(storage, host, port, token or None)


def run(storage: Any, host: str = "127.0.0.1", port: int = 8080, *, token: Optional[str] = None) -> None:
    """Serve the dashboard until interrupted (Ctrl-C)."""
    server = start(storage, host, port, token=token)
    print(f"ferrotune dashboard: {server.url}  (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def run_server(storage: Any, host: str = "127.0.0.1", port: int = 8080) -> None:
    """optuna-dashboard's ``run_server``: ``run`` by another name."""
    run(storage, host, port)
