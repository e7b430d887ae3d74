"""CSV export: one row per credential, for spreadsheets and HR systems. Pure.

UTF-8 with a byte-order mark (so Excel reads Latvian letters), CRLF line ends. The separator is a comma, or a
semicolon for spreadsheets in a Latvian locale, which also read numbers with a decimal comma: with `;` the hours
are written `7,5`. Lists inside a cell (competences) are joined with `; `, the cell quoted where the separator
requires it.

The volunteer's name is a column because the credential itself states it in plain text (to whoever holds the
credential, which is what both the public single-credential export and the organisation's own export start
from); a pseudonymous volunteer's cell stays empty, and nothing else about a volunteer (e-mail, pseudonym) ever
appears. The organisation's export adds `volunteer_id`, its own internal reference for grouping rows per person.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from catalogue import Catalogue
from credentials.reading import CredentialClaims, read_credential
from verify.exports.edc import AwardingBody, NotExportable, read_volunteer_work

RIGA = ZoneInfo("Europe/Riga")
SEPARATORS = {"comma": ",", "semicolon": ";"}
COLUMNS = (
    "credential_id",
    "issued_on",
    "issuer_legal_name",
    "issuer_registration_number",
    "mission_type",
    "mission_type_lv",
    "mission_type_en",
    "title",
    "municipality",
    "start_date",
    "end_date",
    "hours",
    "competence_uris",
    "competences_lv",
    "competences_en",
    "status",
    "verify_url",
    "volunteer_name",
)
ORGANISATION_COLUMNS = COLUMNS + ("volunteer_id",)


def issued_on(valid_from: str) -> str:
    """The issue date as the day in Latvia."""
    try:
        moment = datetime.fromisoformat(valid_from.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return ""
    return moment.astimezone(RIGA).date().isoformat() if moment.tzinfo else moment.date().isoformat()


def credential_row(
    credential: dict,
    *,
    catalogue: Catalogue,
    awarding_body: AwardingBody,
    status: str,
    verify_url: str,
    claims: CredentialClaims | None = None,
) -> dict[str, str]:
    """A credential's row, from what its dataset states (`claims`, read here when not given). A credential that is
    not a volunteer credential (a VC-API body an organisation had signed) still gets its row, with the
    volunteer-work columns empty."""
    if claims is None:
        claims = read_credential(credential)
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        {
            "credential_id": claims.id or str(credential.get("id", "")),
            "issued_on": issued_on(claims.valid_from or ""),
            "issuer_legal_name": awarding_body.legal_name,
            "issuer_registration_number": awarding_body.registration_number,
            "title": claims.title or "",
            "status": status,
            "verify_url": verify_url,
        }
    )
    try:
        work = read_volunteer_work(credential, catalogue, claims)
    except NotExportable:
        return row
    row.update(
        {
            "mission_type": work.mission_type,
            "mission_type_lv": work.mission_name.get("lv", ""),
            "mission_type_en": work.mission_name.get("en", ""),
            "title": work.title,
            "municipality": work.municipality_name.get("lv", work.municipality or ""),
            "start_date": work.start_date,
            "end_date": work.end_date,
            "hours": work.hours,
            "competence_uris": "; ".join(c.uri for c in work.competences),
            "competences_lv": "; ".join(c.label.get("lv", "") for c in work.competences),
            "competences_en": "; ".join(c.label.get("en", "") for c in work.competences),
            "volunteer_name": work.volunteer_name or "",
        }
    )
    return row


def _cell(value: str) -> str:
    # Spreadsheets run a cell that starts with = + - @ as a formula: titles and names are free text, so such a
    # cell is written as text (OWASP "CSV injection").
    if value and value[0] in "=+-@\t\r" and not value.lstrip("-").replace(".", "", 1).replace(",", "", 1).isdigit():
        return "'" + value
    return value


def to_csv(rows: list[dict[str, str]], *, columns: tuple[str, ...] = COLUMNS, separator: str = "comma") -> bytes:
    delimiter = SEPARATORS[separator]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    for row in rows:
        values = dict(row)
        if delimiter == ";" and values.get("hours"):
            values["hours"] = values["hours"].replace(".", ",")
        writer.writerow([_cell(values.get(column, "")) for column in columns])
    return "\ufeff".encode("utf-8") + buffer.getvalue().encode("utf-8")
