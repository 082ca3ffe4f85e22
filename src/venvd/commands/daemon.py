"""``venvd daemon run|start|stop|status``."""

from __future__ import annotations

import json
import sys
import time
from argparse import Namespace

from ..ui import say


def run(ns: Namespace) -> int:
    from ..daemon import control

    action = ns.action
    if action == "run":
        from ..daemon.main import run as run_daemon

        return run_daemon(workers=ns.workers)
    if action in ("install", "uninstall"):
        from ..daemon.unit import run_install

        return run_install(action)
    if action == "start":
        pid = control.start()
        say(f"daemon started (pid {pid}); log: {control.log_path()}")
        return 0
    if action == "stop":
        pid = control.stop()
        say("the daemon is not running" if pid is None else f"daemon stopped (pid {pid})")
        return 0
    pid = control.running_pid()
    status = control.read_status() if pid is not None else None
    if ns.json:
        sys.stdout.write(json.dumps({"running": pid is not None, "pid": pid, **(status or {})}, sort_keys=True,
                                    indent=2) + "\n")
        return 0 if pid is not None else 3
    if pid is None:
        say("the daemon is not running ('venvd daemon start' starts it)")
        return 3
    status = status or {}
    uptime = time.time() - status.get("started", time.time())
    lines = [
        f"daemon: running, pid {pid}, up {int(uptime)}s",
        f"projects watched: {len(status.get('projects', []))}",
        f"syncs running: {len(status.get('running', []))}, queued: {len(status.get('queued', []))}, "
        f"done: {status.get('syncs', 0)}",
        f"last error: {status.get('last_error') or 'none'}",
        f"log: {control.log_path()}",
    ]
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0
