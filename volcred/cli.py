"""The `volcred` command line."""

from __future__ import annotations

import json
import sys

import typer

from catalogue.cli import app as catalogue_app
from catalogue.i18n import t
from volcred.settings import get_settings

app = typer.Typer(
    help="volunteer-credentials: verifiable proof of skills gained by volunteering.\n\n"
    "Brīvprātīgā darba apliecinājumi ar pārbaudāmām kompetencēm.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(catalogue_app, name="catalogue")


def _lang() -> str:
    import os

    from catalogue.i18n import normalise_language

    return normalise_language(os.environ.get("VOLCRED_LANG") or os.environ.get("LANG", "").split(".")[0].replace("_", "-"))


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision (default: the newest).")):
    """Upgrade the database schema (SQLite under ./var/ unless DATABASE_URL is set)."""
    from volcred.db import upgrade

    settings = get_settings()
    upgrade(settings.effective_database_url, revision)
    typer.echo(t("cli.db_upgraded", _lang()))


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes."),
):
    """Run the service (upgrades the database first)."""
    import uvicorn

    from volcred.db import upgrade
    from volcred.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    upgrade(settings.effective_database_url)
    settings.encryption_key  # generate (and announce) the key before the first request needs it
    typer.echo(t("cli.serving", _lang(), url=f"http://{host}:{port}"))
    uvicorn.run("volcred.app:create_app", factory=True, host=host, port=port, workers=workers,
                access_log=False, log_config=None)


@app.command()
def demo(as_json: bool = typer.Option(False, "--json", help="Print what was loaded as JSON.")):
    """Load demo organisations, volunteers and records (idempotent)."""
    from volcred.db import make_engine, make_session_factory, upgrade
    from volcred.demo import load_demo

    settings = get_settings()
    upgrade(settings.effective_database_url)
    engine = make_engine(settings.effective_database_url)
    summary = load_demo(make_session_factory(engine), settings)
    engine.dispose()
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        typer.echo(t("cli.demo_loaded", _lang()))
        for key, value in summary.items():
            typer.echo(f"  {key}: {value}")


def main() -> None:
    app(prog_name="volcred")


if __name__ == "__main__":
    sys.exit(main())
