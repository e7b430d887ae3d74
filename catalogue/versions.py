"""Released versions: frozen snapshots in `data/releases/{version}.json`, so a credential that cites an old version can
always be explained.

A change of meaning gets a new version: `release_state` tells whether the current content still equals the snapshot
of its version; the test suite and `volcred catalogue validate` fail when it does not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from enum import Enum
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from base.errors import UserError
from base.i18n import messages
from catalogue.files import DATA_DIR, RELEASES_DIR, CatalogueError, Issue, load_catalogue
from catalogue.model import Catalogue, CatalogueContent, content_data, data_hash, version_key


@dataclass(frozen=True)
class Release:
    version: str
    hash: str
    released: str
    catalogue: Catalogue


class ReleaseState(str, Enum):  # noqa: UP042  (str() of a member stays as it was)
    RELEASED = "released"  # the snapshot of this version holds exactly this content
    UNRELEASED = "unreleased"  # a new version, newer than every release, not frozen yet
    CHANGED = "changed"  # the content differs from the snapshot of the same version: bump the version
    BEHIND = "behind"  # unreleased, yet older than the newest release


def snapshot(catalogue: Catalogue, released: date) -> dict:
    return {
        "version": catalogue.version,
        "hash": catalogue.hash,
        "released": released.isoformat(),
        "content": content_data(catalogue.content),
    }


def read_releases(data_dir: Path = DATA_DIR) -> dict[str, Release]:
    """Every snapshot, oldest first; each is checked against the hash it was released with."""
    releases = []
    for path in (Path(data_dir) / RELEASES_DIR).glob("*.json"):
        name = f"{RELEASES_DIR}/{path.name}"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            # The hash is checked over the stored data itself, not over today's model of it.
            catalogue = Catalogue(
                data["version"], CatalogueContent.model_validate(data["content"]), hash=data_hash(data["content"])
            )
        except (ValueError, KeyError, TypeError, ValidationError):
            raise CatalogueError([_issue(name, "", "catalogue.error.snapshot_unreadable")]) from None
        if path.stem != catalogue.version or catalogue.hash != data.get("hash"):
            raise CatalogueError([_issue(name, catalogue.version, "catalogue.error.snapshot_tampered")])
        releases.append(Release(catalogue.version, catalogue.hash, data.get("released", ""), catalogue))
    releases.sort(key=lambda release: version_key(release.version))
    return {release.version: release for release in releases}


def _issue(file: str, entry: str, key: str) -> Issue:
    return Issue(file, entry, "", messages().text(key))


def release_state(catalogue: Catalogue, releases: dict[str, Release]) -> ReleaseState:
    release = releases.get(catalogue.version)
    if release is not None:
        return ReleaseState.RELEASED if release.hash == catalogue.hash else ReleaseState.CHANGED
    if releases and version_key(catalogue.version) < version_key(list(releases)[-1]):
        return ReleaseState.BEHIND
    return ReleaseState.UNRELEASED


def write_release(catalogue: Catalogue, data_dir: Path = DATA_DIR, released: date | None = None) -> Path:
    """Freeze the current content as the snapshot of its version. A released version is never overwritten."""
    state = release_state(catalogue, read_releases(data_dir))
    if state is ReleaseState.RELEASED:
        raise UserError("catalogue.already_released", kind="conflict", version=catalogue.version)
    if state is not ReleaseState.UNRELEASED:
        raise UserError(f"catalogue.release_{state.value}", kind="conflict", version=catalogue.version)
    path = Path(data_dir) / RELEASES_DIR / f"{catalogue.version}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(snapshot(catalogue, released or date.today()), ensure_ascii=False, indent=1)
    path.write_text(text + "\n", encoding="utf-8")
    return path


@lru_cache(maxsize=8)
def _releases_cached(data_dir: Path) -> dict[str, Release]:
    return read_releases(data_dir)


def released_versions(data_dir: Path | None = None) -> dict[str, Release]:
    """The released versions (cached), oldest first."""
    return _releases_cached(Path(data_dir or DATA_DIR).resolve())


def catalogue_version(version: str, data_dir: Path | None = None) -> Catalogue:
    """Any version a credential may cite: a released snapshot, or the current content under its own version.
    Raises a not-found `UserError` for other versions."""
    current = load_catalogue(data_dir)
    release = released_versions(data_dir).get(version)
    if version == current.version and (release is None or release.hash == current.hash):
        return current  # the same content: share the current catalogue's caches
    if release is not None:
        return release.catalogue
    raise UserError("catalogue.unknown_version", kind="not_found", version=version)
