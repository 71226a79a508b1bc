"""A real ``bmdsim serve`` in a subprocess on a free loopback port, for the service and browser tests."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

#: a cheap scenario (one short-range flight, nothing else: about a second of work) for queueing many runs
CHEAP_YAML = """schema_version: 1
name: cheap
description: One short-range missile and nothing else (a cheap run for the service tests).
epoch_utc: 2007-10-25T12:00:00Z
seed: 1
trajectory_step_s: 20
threats:
  - {name: short, missile: irbm-3700, launch: semnan, target: ankara}
"""


class Server:
    """``bmdsim serve --port 0`` as a user starts it; ``url`` is where it says it listens."""

    def __init__(self, runs_dir: Path, *args: str, scenarios_dir: Path | None = None, default_run: bool = False):
        self.runs_dir = Path(runs_dir)
        self.log = self.runs_dir.parent / f"{self.runs_dir.name}-serve.log"
        cmd = [sys.executable, "-c", "import sys; from bmdsim.cli import main; sys.exit(main())", "serve",
               "--port", "0", "--runs", str(runs_dir), "--default-run" if default_run else "--no-default-run",
               "--scenarios", str(scenarios_dir or self.runs_dir.parent), *args]
        self._fh = open(self.log, "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(cmd, stdout=self._fh, stderr=subprocess.STDOUT)
        self.url = self._wait_url(timeout_s=240)

    def _wait_url(self, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            m = re.search(r'listening on (http://\S+/)|"url": "(http://[^"]+/)"', self.log.read_text())
            if m:
                url = (m.group(1) or m.group(2)).rstrip("/")
                while time.monotonic() < deadline:
                    try:
                        if httpx.get(url + "/api/health", timeout=5).status_code == 200:
                            return url
                    except httpx.TransportError:
                        pass
                    time.sleep(0.1)
            if self.proc.poll() is not None:
                raise RuntimeError(f"bmdsim serve exited {self.proc.returncode}:\n{self.log.read_text()}")
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"bmdsim serve did not start in {timeout_s} s:\n{self.log.read_text()}")

    def wait_run(self, run_id: str, timeout_s: float = 600) -> dict:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            st = httpx.get(f"{self.url}/api/runs/{run_id}", timeout=30).json()
            if st["state"] in ("done", "failed"):
                return st
            time.sleep(0.2)
        raise TimeoutError(f"run {run_id} not finished in {timeout_s} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


#: Debian's chromium, headless, with nothing of its own going on the network (WebGL falls back to SwiftShader)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
