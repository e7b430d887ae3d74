"""The `volcred` command line."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from functools import cached_property

import typer

from base.errors import UserError
from base.i18n import environment_language, messages, t
from base.mail.cli import mail_app
from catalogue.cli import app as catalogue_app
from credentials.batches.cli import batches_app
from credentials.mail_cli import digest_command
from credentials.reports.cli import reports_app
from issuers.auth import Principal
from issuers.cli import admin_app, audit_app, org_app
from issuers.service import IssuerContext
from verify.cli import verify_command
from verify.exports.cli import export_command
from volcred.settings import Settings, get_settings

app = typer.Typer(
    help="volunteer-credentials: verifiable proof of skills gained by volunteering.\n\n"
    "Brīvprātīgā darba apliecinājumi ar pārbaudāmām kompetencēm.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(org_app, name="org")
app.add_typer(admin_app, name="admin")
app.add_typer(batches_app, name="batches")
app.add_typer(audit_app, name="audit")
mail_app.command("digest")(digest_command)
app.add_typer(mail_app, name="mail")
app.add_typer(reports_app, name="reports")
app.command("verify")(verify_command)
app.command("export")(export_command)


class Runtime:
    """What package CLIs get as `ctx.obj`: settings, a database transaction, the issuer context, the language."""

    # The operator at the console acts with a platform administrator's rights and as an admin of every organisation.
    operator = None

    def __init__(self, settings: Settings):
        self.settings = settings
        self.lang = environment_language()

    @cached_property
    def session_factory(self):
        from base.db import make_engine, make_session_factory
        from volcred.db import upgrade

        upgrade(self.settings.effective_database_url)
        return make_session_factory(make_engine(self.settings.effective_database_url))

    @contextmanager
    def transaction(self):
        from base.db import transaction

        with transaction(self.session_factory) as session:
            yield session

    @cached_property
    def issuer_context(self) -> IssuerContext:
        return IssuerContext(base_url=self.settings.public_base_url, kek=self.settings.encryption_key)


class OperatorPrincipal(Principal):
    """The console operator: may do any organisation action (they hold the database and the key anyway)."""

    def can(self, action: str, organisation_id: str | None = None) -> bool:
        return True

    def acts_for(self, organisation_id: str) -> bool:
        return True


Runtime.operator = OperatorPrincipal(kind="user", is_platform_admin=True)


@app.callback()
def root(ctx: typer.Context):
    ctx.obj = Runtime(get_settings())


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context, revision: str = typer.Argument("head", help="Target revision (default: newest).")):
    """Upgrade the database schema (SQLite under ./var/ unless DATABASE_URL is set)."""
    from volcred.db import upgrade

    upgrade(ctx.obj.settings.effective_database_url, revision)
    typer.echo(t("cli.db_upgraded", ctx.obj.lang))


@app.command()
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on (BASE_URL follows it unless set)."),
    workers: int = typer.Option(1, help="Worker processes."),
    with_demo: bool = typer.Option(False, "--demo", help="Load the demo data first (idempotent)."),
):
    """Run the service (upgrades the database first)."""
    import os

    from volcred.db import upgrade
    from volcred.logs import configure_logging
    from volcred.serving import serve as run_service

    settings = ctx.obj.settings = ctx.obj.settings.serving_on(host, port)
    # The workers read their settings from the environment: they must see the same public URL.
    os.environ["BASE_URL"] = settings.public_base_url
    configure_logging(settings.log_level)
    upgrade(settings.effective_database_url)
    settings.encryption_key  # noqa: B018  generate (and announce) the key before the first request needs it
    if with_demo:
        _print_demo(ctx.obj, as_json=False)
    typer.echo(t("cli.serving", ctx.obj.lang, url=settings.public_base_url))
    run_service(host, port, workers, settings.log_level)


@app.command()
def demo(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print what was loaded as JSON.")):
    """Load demo organisations, volunteers and records (idempotent)."""
    _print_demo(ctx.obj, as_json)


def _print_demo(runtime: Runtime, as_json: bool) -> None:
    from volcred.demo import load_demo

    summary = load_demo(runtime)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        typer.echo(t("cli.demo_loaded", runtime.lang))
        for key, value in summary.items():
            typer.echo(f"  {key}: {value}")


def main() -> None:
    try:
        # Without standalone mode click returns a command's exit code instead of exiting: pass it on.
        code = app(prog_name="volcred", standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except UserError as error:
        lang = environment_language()
        typer.echo(t("cli.error", lang, message=messages().get(error.key, lang, **error.params)), err=True)
        for item in error.errors:
            message = item.get("message")
            text = message.in_language(lang) if hasattr(message, "in_language") else (message or "")
            typer.echo(f"  {item.get('field', '')}: {text}", err=True)
        sys.exit(2)
    except typer.Abort:
        sys.exit(1)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except Exception as error:  # click's usage errors and the like
        import click

        if isinstance(error, click.ClickException):
            error.show()
            sys.exit(error.exit_code)
        raise


if __name__ == "__main__":
    main()
