"""`volcred catalogue ...`: check, import ESCO labels, show, export and release the competence catalogue.

Output goes through the message catalogue in the language of VOLCRED_LANG or LANG (Latvian by default); every failure
exits non-zero.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import typer

from base.errors import UserError
from base.i18n import environment_language, messages, normalise_language, t
from catalogue.esco import import_esco_labels
from catalogue.files import DATA_DIR, CatalogueError, read_catalogue
from catalogue.model import Catalogue
from catalogue.skos import skos_document
from catalogue.versions import ReleaseState, read_releases, release_state, snapshot, write_release

app = typer.Typer(
    help="The competence catalogue: mission types, ESCO competences, versions.\n\n"
    "Kompetenču katalogs: brīvprātīgā darba veidi, ESCO kompetences, versijas.",
    no_args_is_help=True,
    add_completion=False,
)

DATA_DIR_OPTION = typer.Option(
    None,
    "--data-dir",
    file_okay=False,
    exists=True,
    help="The catalogue data directory (default: the one shipped in the package).",
)


@contextmanager
def _user_errors(lang: str) -> Iterator[None]:
    """Print a user error (and every problem of an invalid catalogue) readably, then exit with status 1."""
    try:
        yield
    except CatalogueError as exc:
        for issue in exc.issues:
            typer.echo(issue.describe(lang), err=True)
        typer.echo(t("catalogue.cli.invalid", lang, count=len(exc.issues)), err=True)
        raise typer.Exit(1) from None
    except UserError as exc:
        message = messages().get(exc.key, lang, **exc.params)
        typer.echo(t("catalogue.cli.error", lang, message=message), err=True)
        raise typer.Exit(1) from None


def _read(data_dir: Path | None) -> Catalogue:
    return read_catalogue(data_dir or DATA_DIR)


@app.command()
def validate(data_dir: Path | None = DATA_DIR_OPTION):
    """Check every data file and that released content was not changed without a new version."""
    lang = environment_language()
    with _user_errors(lang):
        catalogue = _read(data_dir)
        state = release_state(catalogue, read_releases(data_dir or DATA_DIR))
        if state in (ReleaseState.CHANGED, ReleaseState.BEHIND):
            raise UserError(f"catalogue.release_{state.value}", kind="conflict", version=catalogue.version)
    typer.echo(
        t(
            "catalogue.cli.valid",
            lang,
            version=catalogue.version,
            hash=catalogue.hash,
            domains=len(catalogue.domains),
            mission_types=len(catalogue.mission_types),
            competences=len(catalogue.competences),
        )
    )
    if state is ReleaseState.UNRELEASED:
        typer.echo(t("catalogue.cli.unreleased", lang, version=catalogue.version))


@app.command("import-esco")
def import_esco(
    csv_file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        help="An ESCO CSV export (skills_xx.csv): conceptUri, preferredLabel, altLabels.",
    ),
    language: str = typer.Option(..., "--language", "-l", help="The language of the export: lv or en."),
    keep_existing: bool = typer.Option(
        False, "--keep-existing", help="Only fill empty labels; by default ESCO's labels replace ours."
    ),
    data_dir: Path | None = DATA_DIR_OPTION,
):
    """Fill or replace competence labels with ESCO's own, by concept URI, marking their source as `esco`."""
    lang = environment_language()
    with _user_errors(lang):
        report = import_esco_labels(csv_file, language, data_dir or DATA_DIR, overwrite=not keep_existing)
    typer.echo(
        t(
            "catalogue.cli.imported",
            lang,
            language=language,
            updated=len(report.updated),
            unchanged=len(report.unchanged),
            kept=len(report.kept),
        )
    )
    if report.not_in_file:
        typer.echo(t("catalogue.cli.import_not_found", lang, count=len(report.not_in_file)))
        for uri in report.not_in_file:
            typer.echo(f"  {uri}")
    if report.updated:
        typer.echo(t("catalogue.cli.import_next_steps", lang))


@app.command()
def show(
    code: str | None = typer.Argument(None, help="A mission type code; without it, the whole catalogue in brief."),
    lang: str | None = typer.Option(None, "--lang", help="lv or en (default: VOLCRED_LANG or LANG)."),
    data_dir: Path | None = DATA_DIR_OPTION,
):
    """Print the catalogue, or one mission type, for reading."""
    lang = normalise_language(lang) if lang else environment_language()
    with _user_errors(lang):
        catalogue = _read(data_dir)
        if code is None:
            typer.echo(
                f"{catalogue.title.in_language(lang)} — {t('catalogue.page.version', lang, version=catalogue.version)}"
                f" ({catalogue.hash})"
            )
            for domain in catalogue.domains:
                typer.echo(f"\n{domain.name.in_language(lang)}")
                for entry in catalogue.mission_types_in(domain.code):
                    typer.echo(f"  {entry.code:36} {entry.name.in_language(lang)}")
            return
        entry = catalogue.mission_type(code)
    typer.echo(f"{entry.name.in_language(lang)} ({entry.code})")
    typer.echo(entry.description.in_language(lang))
    typer.echo(f"\n{t('catalogue.page.tasks', lang)}:")
    for task in entry.tasks:
        typer.echo(f"  - {task.in_language(lang)}")
    typer.echo(f"\n{t('catalogue.page.competences_heading', lang)}:")
    for link, competence in catalogue.links(code):
        role = t(f"catalogue.page.role_{link.role}", lang)
        typer.echo(f"  [{role}] {competence.label.in_language(lang)}\n      {competence.uri}")


@app.command()
def export(
    format: str = typer.Option(
        "skos", "--format", "-f", help="skos: SKOS JSON-LD; json: the version snapshot (as in releases/)."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", dir_okay=False, help="File to write (default: stdout)."),
    base_url: str = typer.Option(
        "http://127.0.0.1:8000",
        envvar="BASE_URL",
        help="The service's public URL, for the URIs of the catalogue and its mission types.",
    ),
    data_dir: Path | None = DATA_DIR_OPTION,
):
    """Export the catalogue as SKOS JSON-LD (for other systems to import) or as its JSON snapshot."""
    lang = environment_language()
    with _user_errors(lang):
        if format not in ("skos", "json"):
            raise UserError("catalogue.error.not_one_of", expected="skos, json")
        catalogue = _read(data_dir)
    document = skos_document(catalogue, base_url) if format == "skos" else snapshot(catalogue, date.today())
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(t("catalogue.cli.exported", lang, path=output), err=True)


@app.command()
def release(data_dir: Path | None = DATA_DIR_OPTION):
    """Freeze the current content as the snapshot of its version (releases/VERSION.json), so that credentials citing
    it can always be explained. A released version is never overwritten."""
    lang = environment_language()
    with _user_errors(lang):
        catalogue = _read(data_dir)
        path = write_release(catalogue, data_dir or DATA_DIR)
    typer.echo(t("catalogue.cli.released", lang, version=catalogue.version, path=path))
