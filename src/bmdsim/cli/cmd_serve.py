"""``bmdsim serve``: the local web service and the 3D globe viewer (:mod:`bmdsim.web`), on uvicorn."""

from __future__ import annotations

import ipaddress
import socket
import threading
from pathlib import Path

import typer

from bmdsim.cli._common import echo_json
from bmdsim.errors import InputError

DEFAULT_SCENARIO = "europe-2007"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise InputError("--host", host, "not an address of this machine; give 127.0.0.1 (the default)") from None
    family, _, _, _, addr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError as exc:
        sock.close()
        raise InputError("--port", port, f"cannot listen there ({exc.strerror}); give another port, or 0 for a "
                         "free one") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Address to listen on (loopback by default: only this machine "
                                 "can connect)."),
        port: int = typer.Option(8765, help="Port to listen on (0: a free one)."),
        runs: Path = typer.Option(Path("bmdsim-out"), "--runs", help="Folder of the runs: past ones (`bmdsim run` "
                                  "writes bmdsim-out/NAME) are listed, new ones are written there."),
        scenarios: Path = typer.Option(Path("."), "--scenarios", help="Folder whose *.yaml scenario files are "
                                       "offered beside the bundled ones."),
        workers: int = typer.Option(1, help="Runs executed at the same time (others wait in the queue)."),
        queue: int = typer.Option(32, "--queue", help="Runs that may wait at most; more get HTTP 503."),
        open_browser: bool = typer.Option(False, "--open", help="Open the viewer in the web browser."),
        default_run: bool = typer.Option(True, "--default-run/--no-default-run",
                                         help=f"If the runs folder holds no run yet, queue the bundled "
                                         f"{DEFAULT_SCENARIO} scenario so the viewer has something to play."),
        json_out: bool = typer.Option(False, "--json", help="Say where it listens as one JSON object on stdout "
                                      "(url, host, port, runs) instead of a line of text on stderr."),
    ):
        """Serve the 3D globe viewer and the JSON API (OpenAPI spec at /openapi.json): pick a scenario, run it,
        watch its progress and play it on the globe; everything offline, on this machine."""
        if not 0 <= port <= 65535:
            raise InputError("--port", port, "give a port between 1 and 65535, or 0 for a free one")
        if not 1 <= workers <= 8:
            raise InputError("--workers", workers, "give 1 to 8 (each run uses one core)")
        if not 1 <= queue <= 10_000:
            raise InputError("--queue", queue, "give 1 to 10000 waiting runs")
        if runs.exists() and not runs.is_dir():
            raise InputError("--runs", str(runs), "this is a file; give a folder for the runs")
        if not scenarios.is_dir():
            raise InputError("--scenarios", str(scenarios), "no such folder; give a folder of scenario files")
        import uvicorn

        from bmdsim.scenario.load import load_scenario
        from bmdsim.web.app import LOOPBACK_HOSTS, create_app

        sock = _bind(host, port)
        bound_port = sock.getsockname()[1]
        allowed = LOOPBACK_HOSTS if _is_loopback(host) else ["*"]
        web = create_app(runs, scenarios_dir=scenarios, workers=workers, max_queued=queue, allowed_hosts=allowed)
        manager = web.state.manager
        shown = host if ":" not in host or host.startswith("[") else f"[{host}]"
        url = f"http://{shown}:{bound_port}/"
        if json_out:
            echo_json({"url": url, "host": host, "port": bound_port, "runs": str(manager.runs_dir)})
        else:
            typer.echo(f"bmdsim serve: listening on {url} (runs in {manager.runs_dir}); Ctrl-C stops", err=True)
        if not _is_loopback(host):
            typer.echo(f"warning: listening on {host}: every machine that can reach it may start runs", err=True)
        if default_run and not manager.list():
            manager.submit(load_scenario(DEFAULT_SCENARIO))
            typer.echo(f"no runs in {manager.runs_dir} yet: queued the bundled {DEFAULT_SCENARIO} scenario; "
                       "the viewer plays it when it is done", err=True)
        server = uvicorn.Server(uvicorn.Config(web, log_level="warning", lifespan="on"))
        if open_browser:
            def _open():
                import time
                import webbrowser

                while not server.started and not server.should_exit:
                    time.sleep(0.05)
                if server.started:
                    webbrowser.open(url)

            threading.Thread(target=_open, daemon=True).start()
        try:
            server.run(sockets=[sock])
        finally:
            sock.close()
            manager.close()
