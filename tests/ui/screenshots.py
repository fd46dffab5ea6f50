"""Screenshots of the dashboard's main pages over a workspace, for the README and docs/ui.md.

    loopline demo --days 45 -w /tmp/ui-demo
    python tests/ui/screenshots.py /tmp/ui-demo docs/screenshots

Serves the dashboard of WORKSPACE on a free loopback port (as the local user), opens
each page in Debian's Chromium through Playwright and saves one PNG per page. Pages that
need a record the workspace lacks (a drift report, applied feature definitions) are
skipped with a message.
"""

from __future__ import annotations

import shutil
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

VIEWPORT = {"width": 1360, "height": 900}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pages(ws: Any) -> list[tuple[str, str]]:
    """(name, path) of each page to capture, chosen from what the workspace holds."""
    from loopline.metadata.records import RunStatus

    runs = [r for r in ws.metadata.runs.list(limit=200) if r.status == RunStatus.COMPLETE]
    training = next((r for r in runs if r.pipeline == "training"), None)
    model = ws.registry.get_model("bikes")
    version = model.aliases.get("production") or max(v.version for v in ws.registry.versions("bikes"))
    pages = [("overview", "/"), ("runs", "/runs"), ("pipeline", "/pipelines/training"),
             ("model", "/models/bikes"), ("version", f"/models/bikes/versions/{version}"),
             ("monitoring", "/monitoring"), ("monitoring-charts", "/monitoring#per-model"),
             ("monitoring-features", "/monitoring?feature=cnt_mean_prev_24h#per-feature-1"),
             ("audit", "/audit"), ("features", "/features")]
    if training is not None:
        pages += [("run", f"/runs/{training.id}"), ("lineage", f"/lineage/run/{training.id}")]
    for kind, name in (("Drift", "drift"), ("Statistics", "profile")):
        found = ws.metadata.artifacts.list(type=kind, limit=50)
        shown = next((a for a in found if a.format.endswith("json")), None)
        if shown is not None:
            pages.append((name, f"/data/{name}/{shown.id}" + ("#distributions" if name == "drift" else "")))
        else:
            print(f"skipped {name}: the workspace has no {kind} artifact stored as JSON")
    return pages


def take(workspace: str, folder: str) -> list[Path]:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from loopline.ui import create_app
    from loopline.workspace import Workspace

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    saved = []
    with Workspace.find(workspace) as ws:
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(ws), host="127.0.0.1", port=port, log_level="warning",
                                               lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                                     args=["--no-sandbox"])
                page = browser.new_context(viewport=VIEWPORT).new_page()
                for name, path in _pages(ws):
                    page.goto(f"http://127.0.0.1:{port}{path}")
                    if "#" in path:
                        page.locator("#" + path.split("#", 1)[1]).evaluate("node => node.scrollIntoView()")
                    target = out / f"{name}.png"
                    page.screenshot(path=str(target), full_page=False)
                    saved.append(target)
                    print(f"{target}  ← {path}")
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    return saved


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python tests/ui/screenshots.py WORKSPACE FOLDER")
    take(sys.argv[1], sys.argv[2])
