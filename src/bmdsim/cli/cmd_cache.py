"""``bmdsim cache``: where the disk cache of interceptor fly-out fans is, how big, and how to empty it."""

from __future__ import annotations

import typer

from bmdsim.cli._common import echo_json


def register(app: typer.Typer) -> None:
    @app.command()
    def cache(
        clear: bool = typer.Option(False, "--clear", help="Delete every cached fan (they are rebuilt when needed)."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ):
        """Show the disk cache of interceptor fly-out fans (built once, loaded by later runs and sweep workers).
        Its folder is BMDSIM_CACHE_DIR or the user cache folder; BMDSIM_NO_CACHE=1 turns it off and
        BMDSIM_CACHE_MAX_MB caps its size."""
        from bmdsim.engagement import fancache

        removed = fancache.clear() if clear else None
        i = fancache.info()
        if json_out:
            echo_json(i.to_dict() | ({"removed_sectors": removed} if clear else {}))
            return
        if not i.enabled:
            typer.echo(f"the fan cache is off ({fancache.ENV_OFF} is set)")
            return
        if clear:
            typer.echo(f"removed {removed} cached fan sectors from {i.path}")
        typer.echo(f"fan cache: {i.path}: {i.fans} fans, {i.sectors} sectors, {i.size_mb:.1f} MB "
                   f"(at most {i.max_mb:.0f} MB; least recently used dropped first)")
