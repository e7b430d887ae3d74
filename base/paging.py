"""Pages of a long list: which rows a `?page=` shows and the links to the pages around it (forms.html's
`pagination` macro shows them)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit


@dataclass(frozen=True)
class Pager:
    page: int
    pages: int
    total: int
    per_page: int
    previous_href: str | None
    next_href: str | None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_number(value: str | int | None) -> int:
    """The page asked for: a positive whole number, else the first."""
    try:
        number = int(value or 1)
    except (TypeError, ValueError):
        return 1
    return max(number, 1)


def pager(url: str, page: int, total: int, per_page: int) -> Pager:
    """The pager of `total` rows at `page` (past the last page: the last), its links keeping the URL's query but
    for a redirect's one-time `notice` (base.web), which the next page must not show again."""
    pages = max((total + per_page - 1) // per_page, 1)
    page = min(max(page, 1), pages)
    parts = urlsplit(url)
    query = [
        (key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key not in ("page", "notice")
    ]

    def href(number: int) -> str:
        return f"{parts.path}?{urlencode([*query, ('page', str(number))])}"

    return Pager(
        page=page,
        pages=pages,
        total=total,
        per_page=per_page,
        previous_href=href(page - 1) if page > 1 else None,
        next_href=href(page + 1) if page < pages else None,
    )
