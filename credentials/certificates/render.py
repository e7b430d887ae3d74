"""PDF certificates of volunteer work: one A4 document per credential, in Latvian, English, Russian, Ukrainian, or
Latvian and English together (bilingual).

The domain core of the certificate: plain data in (`CertificateData`), PDF bytes out. It knows nothing of the
database or HTTP; the caller gathers the record, the organisation and the signed credential and hands them over.

The PDF is tagged PDF/A-3a (a structure tree for screen readers) with the signed credential JSON attached as
`credential.json`, so that the file alone can be verified offline (`extract_embedded_credential`). Rendering goes
through WeasyPrint's public API; the parsed stylesheet, the fonts and the Jinja template are prepared once per
`CertificateRenderer` and reused, since preparing them costs more than laying out a page. Output is deterministic,
so a rendered PDF is kept (`CertificateCache`) under its credential, language, status and content.
"""

from __future__ import annotations

import atexit
import base64
import gc
import hashlib
import io
import json
import logging
import multiprocessing
import os
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time
from decimal import Decimal
from itertools import groupby
from pathlib import Path
from urllib.parse import urlsplit

import qrcode
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape
from PIL import Image as PILImage

from base.i18n import Messages, Text, messages
from catalogue import load_catalogue
from catalogue.model import Bilingual

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
MESSAGES = HERE.parent / "messages.toml"  # the certificate's texts are in the credentials package's catalogue

LANGUAGE_MODES: tuple[str, ...] = ("lv", "en", "ru", "uk", "bilingual")


def key_competence_codes() -> tuple[str, ...]:
    """The eight key competences (2018/C 189/01) in the Recommendation's order; the catalogue owns them.
    Certificates group competences under the first one each serves."""
    return tuple(entry.code for entry in sorted(load_catalogue().key_competences, key=lambda entry: entry.number))


IMAGE_MEDIA_TYPES: tuple[str, ...] = ("image/png", "image/jpeg", "image/svg+xml")
ATTESTERS: tuple[str, ...] = ("organiser", "self")

CREDENTIAL_FILENAME = "credential.json"
CREDENTIAL_MEDIA_TYPE = "application/json"
PDF_VARIANT = "pdf/a-3a"  # PDF/A-3 with tags (WeasyPrint turns on pdf_tags for it)
STATUSES: tuple[str, ...] = ("active", "suspended", "revoked", "sample")
PREVIEW_STATUS = "sample"  # the settings page's preview: marked as a sample across every page


@dataclass(frozen=True)
class Image:
    """A picture supplied by the organisation (logo, signature): the file's bytes and its media type."""

    data: bytes
    media_type: str

    def __post_init__(self):
        if self.media_type not in IMAGE_MEDIA_TYPES:
            raise ValueError(f"image media type must be one of {', '.join(IMAGE_MEDIA_TYPES)}, not {self.media_type!r}")
        if not self.data:
            raise ValueError("image is empty")


@dataclass(frozen=True)
class CertificateCompetence:
    """One competence as the certificate shows it.

    `core`: a core competence of the mission type (listed first) rather than an optional one.
    `attested_by`: `organiser` or `self` (described by the volunteer; marked as such on the certificate).
    `key_competences`: the catalogue's key competence codes the competence serves, most relevant first.
    """

    uri: str
    label_lv: str
    label_en: str
    core: bool = True
    attested_by: str = "organiser"
    key_competences: tuple[str, ...] = ()
    label_ru: str = ""  # "": none in that language yet, the English stands in
    label_uk: str = ""

    def __post_init__(self):
        if self.attested_by not in ATTESTERS:
            raise ValueError(f"attested_by must be one of {', '.join(ATTESTERS)}, not {self.attested_by!r}")
        unknown = [code for code in self.key_competences if code not in key_competence_codes()]
        if unknown:
            raise ValueError(f"unknown key competence(s): {', '.join(unknown)}")
        object.__setattr__(self, "key_competences", tuple(self.key_competences))


@dataclass(frozen=True)
class CertificateData:
    """Everything one certificate shows, plus the signed credential it embeds.

    `language`: `lv`, `en`, `ru`, `uk` or `bilingual` (Latvian first, then English).
    `mission_type_ru`, `mission_type_uk` (and competences' `label_ru`, `label_uk`): "" where the catalogue has no
    such text; the English stands in, marked as English.
    Volunteer: a named volunteer has `volunteer_name`. A pseudonymous one (`pseudonymous=True`) shows only what the
    volunteer chose: `volunteer_name` may then be a chosen display name or None, and `volunteer_reference` the
    pseudonymous reference printed under it (when no name is shown the certificate says "Volunteer").
    `verify_url`: the absolute `/v/<id>` address the QR code opens.
    `credential`: the signed credential, as the JSON bytes to embed or as a mapping (serialised as UTF-8 JSON).
    """

    language: str
    organisation_name: str
    organisation_reg_no: str | None  # None for the platform, which has no registration number
    signatory_name: str
    signatory_position: str
    mission_title: str
    mission_type_lv: str
    mission_type_en: str
    municipality: str
    start_date: date
    end_date: date
    hours: int | Decimal
    competences: Sequence[CertificateCompetence]
    catalogue_version: str
    issue_date: date
    credential_id: str
    verify_url: str
    credential: bytes | Mapping
    volunteer_name: str | None = None
    pseudonymous: bool = False
    volunteer_reference: str | None = None
    role: str | None = None  # the volunteer's role in the mission, as the organiser recorded it
    organisation_logo: Image | None = None
    signature_image: Image | None = None
    status: str = "active"  # a suspended or revoked credential's certificate says so across every page
    mission_type_ru: str = ""
    mission_type_uk: str = ""
    # The volunteer's own copy (and the organiser's, to hand over) carries the claim code and where to claim
    # (credentials.holders.claims); the public copy never does.
    claim_code: str | None = None
    claim_url: str | None = None

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {self.status!r}")
        if self.language not in LANGUAGE_MODES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGE_MODES)}, not {self.language!r}")
        if not self.pseudonymous and not (self.volunteer_name or "").strip():
            raise ValueError("a named volunteer needs a name")
        if self.end_date < self.start_date:
            raise ValueError("the period ends before it starts")
        if isinstance(self.hours, bool) or not isinstance(self.hours, (int, Decimal)) or self.hours <= 0:
            raise ValueError("hours must be a positive int or Decimal")
        if urlsplit(self.verify_url).scheme not in ("http", "https"):
            raise ValueError("verify_url must be an absolute http(s) URL")
        object.__setattr__(self, "competences", tuple(self.competences))

    def credential_bytes(self) -> bytes:
        if isinstance(self.credential, (bytes, bytearray)):
            return bytes(self.credential)
        return json.dumps(self.credential, ensure_ascii=False, indent=2).encode("utf-8")


class EmbeddedCredentialError(ValueError):
    """The PDF carries no readable `credential.json`."""


# --- presentation helpers: language-aware text ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Languages:
    """Turns message keys and LV/EN pairs into the markup one language mode shows."""

    mode: str
    catalogue: Messages

    @property
    def shown(self) -> tuple[str, ...]:
        return ("lv", "en") if self.mode == "bilingual" else (self.mode,)

    @property
    def primary(self) -> str:
        return self.shown[0]

    def pair(self, lv: str, en: str, block: bool = False, ru: str = "", uk: str = "") -> Markup:
        """One text, or in bilingual mode the Latvian followed by the English in a `.en` span: after a slash, or on
        a line of its own (`block`). Plain text otherwise: every extra element costs layout time. In Russian or
        Ukrainian, `ru` or `uk`; where that is missing the English stands in, marked as English."""
        if self.mode == "bilingual":
            if block:
                return Markup('{}<span class="en block" lang="en">{}</span>').format(lv, en)
            return Markup('{}<span class="en" lang="en"> / {}</span>').format(lv, en)
        if self.mode in ("ru", "uk"):
            local = ru if self.mode == "ru" else uk
            return escape(local) if local else Markup('<span lang="en">{}</span>').format(en)
        return escape(lv if self.mode == "lv" else en)

    def text(self, value: Text | Bilingual, block: bool = False) -> Markup:
        """A message or a catalogue text (the English standing in for a missing translation) as `pair` shows it."""
        return self.pair(value.lv, value.en, block, ru=value.ru or "", uk=value.uk or "")

    def t(self, key: str, block: bool = False, **params: object) -> Markup:
        return self.text(self.catalogue.text(key, **params), block)

    def plain(self, key: str, **params: object) -> str:
        """A message as plain text (PDF metadata): `lv / en` in bilingual mode."""
        text = self.catalogue.text(key, **params)
        return " / ".join(text.in_language(lang) for lang in self.shown)

    def date(self, value: date) -> str:
        """LV: 01.06.2024. (the Latvian custom); EN: 1 June 2024. Bilingual documents use the Latvian form."""
        month = self.catalogue.get(f"certificate.month.{value.month}", self.primary)
        return self.catalogue.get(
            "certificate.date", self.primary, day=value.day, month=value.month, month_name=month, year=value.year
        )

    def number(self, value: int | Decimal) -> str:
        text = format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)
        return text.replace(".", ",") if self.primary in ("lv", "ru", "uk") else text


@dataclass
class _CompetenceGroup:
    heading: Markup
    competences: list[CertificateCompetence]
    label_lv: str
    label_en: str


def _group_competences(competences: Sequence[CertificateCompetence], languages: _Languages) -> list[_CompetenceGroup]:
    """Group by the first key competence each serves, in the Recommendation's order; the rest last, core first."""

    codes = key_competence_codes()
    catalogue = load_catalogue()

    def group_of(competence: CertificateCompetence) -> int:
        return codes.index(competence.key_competences[0]) if competence.key_competences else len(codes)

    ordered = sorted(competences, key=lambda c: (group_of(c), not c.core, c.attested_by == "self"))
    groups = []
    for index, members in groupby(ordered, key=group_of):
        if index < len(codes):
            name = catalogue.key_competence(codes[index]).name
        else:
            name = languages.catalogue.text("certificate.key_competence.other")
        groups.append(_CompetenceGroup(languages.text(name, block=True), list(members), name.lv, name.en))
    return groups


def _qr_picture(url: str) -> PILImage.Image:
    """The QR code as a greyscale picture, one pixel per module (drawn scaled up without smoothing).

    A raster image is drawn in one operation; the same code as an SVG path costs WeasyPrint tens of milliseconds.
    """
    # A fixed mask: choosing the best of eight costs ~9 ms per code, and any mask decodes.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=0)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    picture = PILImage.new("L", (len(matrix), len(matrix)), 255)
    picture.putdata([0 if dark else 255 for row in matrix for dark in row])
    return picture


def _qr_png(url: str) -> str:
    """The QR code as a PNG data URI, for the template."""
    buffer = io.BytesIO()
    _qr_picture(url).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


# --- rendering -----------------------------------------------------------------------------------------------------


class _ImageCache(OrderedDict):
    """WeasyPrint's image cache, bounded: least recently used entries go first.

    Images reach WeasyPrint under content-addressed URLs (`_Resources`), so a logo shared by a batch is parsed and
    decoded once per process. WeasyPrint stores a few entries per image and reads them back during the same render;
    the bound is far above what one certificate adds, so nothing in use is evicted.
    """

    def __init__(self, limit: int = 256):
        super().__init__()
        self.limit = limit

    def __getitem__(self, key):
        value = super().__getitem__(key)
        self.move_to_end(key)
        return value

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


#: Longest side of a raster image as embedded: 300 dpi over the widest box an image gets (55 mm).
MAX_IMAGE_PIXELS = 650


def _prepare_image(image: Image) -> Image:
    """A raster image as WeasyPrint embeds it cheaply and PDF/A allows it: RGB or grey (the output intent is sRGB,
    so CMYK is converted), at most `MAX_IMAGE_PIXELS` on its longest side, without transparency (flattened onto the
    white page: WeasyPrint re-encodes PNGs on every render and splits an alpha channel into a second image).
    A JPEG that already fits is embedded as it is, other JPEGs stay JPEGs, the rest become PNG. SVG stays vector."""
    if image.media_type == "image/svg+xml":
        return image
    with PILImage.open(io.BytesIO(image.data)) as picture:
        jpeg = picture.format == "JPEG"
        oversized = max(picture.size) > MAX_IMAGE_PIXELS
        if jpeg and not oversized and picture.mode in ("RGB", "L"):
            return image
        picture.load()
        if oversized:
            picture.thumbnail((MAX_IMAGE_PIXELS, MAX_IMAGE_PIXELS), PILImage.LANCZOS)
        if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
            rgba = picture.convert("RGBA")
            picture = PILImage.new("RGB", rgba.size, (255, 255, 255))
            picture.paste(rgba, mask=rgba.getchannel("A"))
        elif picture.mode not in ("RGB", "L"):
            picture = picture.convert("RGB")
        buffer = io.BytesIO()
        if jpeg:
            picture.save(buffer, format="JPEG", quality=92)
            return Image(buffer.getvalue(), "image/jpeg")
        picture.save(buffer, format="PNG")
    return Image(buffer.getvalue(), "image/png")


class _Resources:
    """What WeasyPrint may load: bundled static files and the images registered here, nothing else (an
    organisation's SVG logo must not make the server fetch from the network or read local files)."""

    SCHEME = "certificate-image"

    def __init__(self, limit: int = 64):
        self.images: OrderedDict[str, Image] = OrderedDict()
        self.limit = limit
        self.fetcher = self._make_fetcher()

    def url(self, image: Image) -> str:
        """A URL naming the image by its content: the same logo gets the same URL in every certificate, and is
        prepared (`_prepare_image`) once."""
        url = f"{self.SCHEME}:{hashlib.sha256(image.data).hexdigest()}"
        if url in self.images:
            self.images.move_to_end(url)
        else:
            self.images[url] = _prepare_image(image)
            while len(self.images) > self.limit:
                self.images.popitem(last=False)
        return url

    def _make_fetcher(self):
        from weasyprint.urls import URLFetcher, URLFetcherResponse

        resources = self

        class LocalURLFetcher(URLFetcher):
            def fetch(self, url, headers=None):
                if url.startswith(resources.SCHEME + ":"):
                    image = resources.images[url]
                    return URLFetcherResponse(url, image.data, {"Content-Type": image.media_type})
                if url.startswith("file:") and not Path(urlsplit(url).path).resolve().is_relative_to(STATIC):
                    raise ValueError(f"certificates may load only bundled files, not {url[:80]!r}")
                return super().fetch(url, headers)

        return LocalURLFetcher(allowed_protocols=("data", "file", self.SCHEME))


class CertificateRenderer:
    """Renders certificates through WeasyPrint's public API; holds what every render shares.

    Build one per process and keep it (`default_renderer`): construction registers the fonts
    (`FontConfiguration`), parses the stylesheet (`CSS`) and compiles the template, and every render reuses them.
    Renders are serialised by a lock: WeasyPrint's font state is not made for concurrent use, and the work is
    CPU-bound Python that threads would not run in parallel anyway (`render_many` uses processes).
    """

    def __init__(self, catalogue: Messages | None = None):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self.catalogue = catalogue or messages()
        self.font_config = FontConfiguration()
        self.resources = _Resources()
        self.url_fetcher = self.resources.fetcher
        self.image_cache = _ImageCache()
        self.stylesheet = CSS(
            filename=str(STATIC / "certificate.css"), font_config=self.font_config, url_fetcher=self.url_fetcher
        )
        environment = Environment(
            loader=FileSystemLoader(str(TEMPLATES)),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.template = environment.get_template("certificate.html")
        self._lock = threading.RLock()

    def html(self, data: CertificateData) -> str:
        """The certificate as HTML (what WeasyPrint lays out); useful to inspect the template's output."""
        languages = _Languages(data.language, self.catalogue)
        with self._lock:  # the image registry is shared
            logo = self.resources.url(data.organisation_logo) if data.organisation_logo else None
            signature = self.resources.url(data.signature_image) if data.signature_image else None
        return self.template.render(
            c=data,
            t=languages.t,
            text=self.catalogue.get,
            pair=languages.pair,
            plain=languages.plain,
            date=languages.date,
            lang=languages.primary,
            bilingual=data.language == "bilingual",
            hours=languages.number(data.hours),
            groups=_group_competences(data.competences, languages),
            has_self_attested=any(c.attested_by == "self" for c in data.competences),
            qr=_qr_png(data.verify_url),
            logo=logo,
            signature=signature,
            status_mark=(
                [self.catalogue.get(f"certificate.status_mark.{data.status}", lang) for lang in languages.shown]
                if data.status != "active"
                else []
            ),
            status_note=(
                languages.plain(f"certificate.status_note.{data.status}") if data.status != "active" else None
            ),
        )

    def document(self, data: CertificateData):
        """The laid-out certificate (a WeasyPrint `Document`) before it is written: its pages can be inspected."""
        from weasyprint import HTML

        with self._lock:
            html = HTML(string=self.html(data), base_url=str(STATIC) + "/", url_fetcher=self.url_fetcher)
            return html.render(
                stylesheets=[self.stylesheet],
                font_config=self.font_config,
                cache=self.image_cache,
                pdf_variant=PDF_VARIANT,
            )

    def render(self, data: CertificateData) -> bytes:
        """The certificate as tagged PDF/A-3a bytes with the signed credential attached as an associated file."""
        from weasyprint import Attachment

        issued = datetime.combine(data.issue_date, time(0, 0), tzinfo=UTC)
        attachment = Attachment(
            string=data.credential_bytes(),
            name=CREDENTIAL_FILENAME,
            description=_Languages(data.language, self.catalogue).plain("certificate.attachment_description"),
            created=issued,
            modified=issued,
            relationship="Source",
        )
        with self._lock, _collecting_once():
            return self.document(data).write_pdf(
                attachments=[attachment],
                pdf_variant=PDF_VARIANT,  # implies pdf_tags: the structure tree screen readers follow
                # Identical input gives identical bytes: the identifier is a hash of the content, not random.
                pdf_identifier=True,
                finisher=_finish_pdfa,
            )


@contextmanager
def _collecting_once():
    """Runs a render with the cyclic garbage collector paused, then collects the youngest generation once.

    A render allocates some hundred thousand objects that live until it ends, so the collector's automatic passes
    during a render find little to free but scan the render's objects again and again. The collector's switch is
    global: other threads run without automatic passes for the length of a render, which delays their collection,
    nothing more. When the collector is already off, it stays off and nothing is collected.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)


#: The PDF/UA-1 identification (ISO 14289-1, 5): the file claims to be accessible as well as PDF/A-3a; PDF/A wants
#: the `pdfuaid` schema declared as an extension schema (ISO 19005-1, 6.7.8) beside it.
PDFUA_IDENTIFICATION = b"""<rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">\
<pdfuaid:part>1</pdfuaid:part></rdf:Description>
<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" \
xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">\
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">\
<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>\
<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>\
<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>\
<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">\
<pdfaProperty:name>part</pdfaProperty:name><pdfaProperty:valueType>Integer</pdfaProperty:valueType>\
<pdfaProperty:category>internal</pdfaProperty:category>\
<pdfaProperty:description>Part of ISO 14289 followed</pdfaProperty:description>\
</rdf:li></rdf:Seq></pdfaSchema:property></rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>
"""


def _finish_pdfa(document, pdf) -> None:
    """Fixes to WeasyPrint 70's PDF/A-3 output, through WeasyPrint's public `finisher` hook and pydyf's public
    objects: PDF/A-2 and -3 forbid a Filter on the XMP metadata stream (ISO 19005-2, 6.6.2.1), which WeasyPrint
    compresses for every PDF/A version but the first; WeasyPrint lists each attachment twice in the catalog's /AF
    array; and a variant is either PDF/A or PDF/UA, so the PDF/UA identification joins the PDF/A one in the XMP."""
    metadata = pdf.objects[int(pdf.catalog["Metadata"].split()[0])]
    metadata.compress = False
    metadata.stream = [
        part.replace(b"</rdf:RDF>", PDFUA_IDENTIFICATION + b"</rdf:RDF>", 1) if isinstance(part, bytes) else part
        for part in metadata.stream
    ]
    if "AF" in pdf.catalog:
        unique = list(dict.fromkeys(pdf.catalog["AF"]))
        pdf.catalog["AF"].clear()
        pdf.catalog["AF"].extend(unique)


# --- the cache of rendered certificates ----------------------------------------------------------------------------


def _renderer_fingerprint() -> bytes:
    """What besides the data decides the bytes: the template, the stylesheet, the message catalogue and the
    WeasyPrint version. A deployment that changes any of them renders anew rather than serving old PDFs."""
    import weasyprint

    digest = hashlib.sha256(weasyprint.__version__.encode())
    for path in (TEMPLATES / "certificate.html", STATIC / "certificate.css", MESSAGES):
        if path.exists():
            digest.update(path.read_bytes())
    return digest.digest()


_fingerprint: bytes | None = None


def certificate_cache_key(data: CertificateData) -> str:
    """The cache key of a certificate: its credential, language and status, by name (a revoked or suspended
    credential gets a new key, so its marked certificate is rendered anew), and a digest of everything else the
    certificate shows (a new logo, a corrected signatory) and of the renderer itself."""
    global _fingerprint
    if _fingerprint is None:
        _fingerprint = _renderer_fingerprint()
    digest = hashlib.sha256(_fingerprint)
    for field in fields(data):
        value = getattr(data, field.name)
        if isinstance(value, Image):
            value = (value.media_type, hashlib.sha256(value.data).hexdigest())
        elif isinstance(value, (bytes, bytearray)):
            value = hashlib.sha256(value).hexdigest()
        digest.update(f"{field.name}={value!r}\n".encode())
    stem = certificate_filename(data).removesuffix(".pdf")
    copy = ".claim" if data.claim_code else ""  # the copy with the code is another file than the public one
    return f"{stem}.{data.language}.{data.status}{copy}.{digest.hexdigest()[:32]}"


class CertificateCache:
    """Rendered certificates on disk, one file per `certificate_cache_key`, at most `limit` files (the oldest go
    first). Rendering is deterministic, so a hit is the very PDF a render would give. Files are written whole under
    a temporary name and renamed, so a reader never sees half a PDF, and processes may share the directory."""

    def __init__(self, directory: Path | str, limit: int = 20_000):
        self.directory = Path(directory)
        self.limit = limit
        self._writes = 0
        self._lock = threading.Lock()

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.pdf"

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:  # an unreadable cache is a miss: the certificate is rendered
            log.warning("certificate cache unreadable (%s): %s", self.directory, exc.strerror or type(exc).__name__)
            return None

    def put(self, key: str, pdf: bytes) -> None:
        """Stores a rendered PDF; a cache that cannot be written (disk full, read-only) is logged and skipped, since
        the caller has its PDF anyway."""
        temporary = self.directory / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(pdf)
            os.replace(temporary, self._path(key))
        except OSError as exc:
            log.warning("certificate cache not written (%s): %s", self.directory, exc.strerror or type(exc).__name__)
            with suppress(OSError):
                temporary.unlink(missing_ok=True)
            return
        with self._lock:
            self._writes += 1
            check = self._writes % max(1, self.limit // 10) == 0
        if check:
            self.prune()

    def evict(self, credential_id: str) -> int:
        """Removes every cached certificate of a credential (each language and status), e.g. when the volunteer
        removed their account; how many files went."""
        prefix = certificate_stem(credential_id) + "."
        removed = 0
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return 0
        for entry in entries:
            if entry.name.startswith(prefix) and entry.name.endswith(".pdf"):
                with suppress(FileNotFoundError):
                    os.remove(entry.path)
                    removed += 1
        return removed

    def prune(self) -> None:
        """Removes the oldest files beyond `limit` (checked every tenth of `limit` writes)."""
        entries = []
        for entry in os.scandir(self.directory):
            if entry.name.endswith(".pdf"):
                try:
                    entries.append((entry.stat().st_mtime, entry.path))
                except FileNotFoundError:
                    pass
        entries.sort()
        for _, path in entries[: max(0, len(entries) - self.limit)]:
            try:
                os.remove(path)
            except FileNotFoundError:
                pass


_cache: CertificateCache | None = None


def use_certificate_cache(cache: CertificateCache | None) -> None:
    """Sets the cache `render_certificate` and `zip_certificates` read and fill (None: render every time). The
    service sets one under its data directory at start."""
    global _cache
    _cache = cache


def certificate_cache() -> CertificateCache | None:
    return _cache


_renderer: CertificateRenderer | None = None
_renderer_lock = threading.Lock()


def default_renderer() -> CertificateRenderer:
    """This process's renderer, made on first use."""
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = CertificateRenderer()
            atexit.register(_drop_default_renderer)
        return _renderer


def _drop_default_renderer() -> None:
    """Lets the renderer's fonts go before the interpreter tears WeasyPrint's modules down (whose clean-up would
    then fail noisily)."""
    global _renderer
    _renderer = None


def render_certificate(data: CertificateData) -> bytes:
    """One certificate as PDF/A-3a bytes, with this process's renderer; from the cache when one is set and holds it."""
    cache = _cache
    if cache is None:
        return default_renderer().render(data)
    key = certificate_cache_key(data)
    pdf = cache.get(key)
    if pdf is None:
        pdf = default_renderer().render(data)
        cache.put(key, pdf)
    return pdf


def _render_uncached(data: CertificateData) -> bytes:
    return default_renderer().render(data)


def _init_worker() -> None:
    default_renderer()
    # What the renderer holds lives as long as the worker: keep the collector from scanning it on every pass.
    gc.freeze()


def _pool_context():
    """How `render_many` starts workers: never by forking the caller, which may be a server with threads and
    fontconfig state. A fork server started clean, with WeasyPrint already imported, starts workers in a fraction
    of the second a fresh interpreter (spawn) needs."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["credentials.certificates.render", "weasyprint"])
        return context
    return multiprocessing.get_context("spawn")


def render_many(items: Iterable[CertificateData], processes: int | None = None) -> list[bytes]:
    """Render a batch over a pool of processes (all cores by default), in the order given; certificates the cache
    (`use_certificate_cache`) holds are read from it, the others rendered and stored in it.

    The pool is this process's shared one (`shared_pool`), started by the first batch and kept for the next: starting
    workers and their renderers costs about as much as rendering a dozen certificates. With one process, or one
    item to render, renders here without a pool.
    """
    items = list(items)
    cache = _cache
    keys = [certificate_cache_key(item) for item in items] if cache is not None else []
    pdfs: list[bytes | None] = [cache.get(key) for key in keys] if cache is not None else [None] * len(items)
    missing = [index for index, pdf in enumerate(pdfs) if pdf is None]
    rendered = _render_all([items[index] for index in missing], processes)
    for index, pdf in zip(missing, rendered):
        pdfs[index] = pdf
        if cache is not None:
            cache.put(keys[index], pdf)
    return pdfs  # type: ignore[return-value]  # every gap filled above


def _render_all(items: list[CertificateData], processes: int | None) -> list[bytes]:
    processes = max(1, min(processes or _available_cores(), len(items)))
    if processes == 1:
        return [_render_uncached(item) for item in items]
    try:
        return _render_on_shared_pool(items, processes)
    except BrokenProcessPool:
        # A worker died (killed while idle, out of memory): a new pool gets the batch once more.
        return _render_on_shared_pool(items, processes)


def _render_on_shared_pool(items: list[CertificateData], processes: int) -> list[bytes]:
    pool = shared_pool(processes)
    try:
        return list(pool.map(_render_uncached, items, chunksize=max(1, min(8, len(items) // (processes * 4)))))
    except BrokenProcessPool:
        _discard_shared_pool(pool)
        raise


_shared_pools: dict[int, ProcessPoolExecutor] = {}
_shared_pools_lock = threading.Lock()


def shared_pool(processes: int | None = None) -> ProcessPoolExecutor:
    """This process's pool of `processes` rendering workers (all cores by default), started on first use and kept
    until `shutdown_shared_pools` or the process exits. Its idle workers keep their renderers in memory."""
    processes = processes or _available_cores()
    with _shared_pools_lock:
        pool = _shared_pools.get(processes)
        if pool is None:
            if not _shared_pools:
                atexit.register(shutdown_shared_pools)
            pool = _shared_pools[processes] = certificate_pool(processes)
        return pool


def _discard_shared_pool(pool: ProcessPoolExecutor) -> None:
    with _shared_pools_lock:
        for processes, kept in list(_shared_pools.items()):
            if kept is pool:
                del _shared_pools[processes]
    pool.shutdown(wait=False, cancel_futures=True)


def shutdown_shared_pools() -> None:
    """Stops the shared pools' workers (at exit, or when a caller wants the memory back)."""
    with _shared_pools_lock:
        pools = list(_shared_pools.values())
        _shared_pools.clear()
    for pool in pools:
        pool.shutdown()


def certificate_pool(processes: int | None = None) -> ProcessPoolExecutor:
    """A new pool of rendering workers, each with its renderer built once (all cores by default), for callers that
    manage its life themselves, such as issuing and rendering side by side; the caller shuts it down."""
    return ProcessPoolExecutor(processes or _available_cores(), mp_context=_pool_context(), initializer=_init_worker)


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def certificate_filename(data: CertificateData) -> str:
    """A file name safe on every system, derived from the credential id."""
    return f"{certificate_stem(data.credential_id)}.pdf"


def certificate_stem(credential_id: str) -> str:
    """The file name of a credential's certificate without `.pdf`: `certificate-<the id's last part>`."""
    tail = credential_id.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in tail).strip("-.") or "certificate"
    return f"certificate-{safe}"


def zip_certificates(items: Iterable[CertificateData], processes: int | None = None) -> bytes:
    """One ZIP archive holding a certificate PDF per item, named by credential id."""
    items = list(items)
    pdfs = render_many(items, processes=processes)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        seen: set[str] = set()
        for item, pdf in zip(items, pdfs):
            name = certificate_filename(item)
            if name in seen:
                raise ValueError(f"two certificates would share the file name {name}")
            seen.add(name)
            archive.writestr(name, pdf)
    return buffer.getvalue()


def extract_embedded_credential(pdf_bytes: bytes) -> dict:
    """The signed credential attached to a certificate PDF, parsed; raises `EmbeddedCredentialError` if absent."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        attachments = PdfReader(io.BytesIO(pdf_bytes)).attachments
        contents = attachments.get(CREDENTIAL_FILENAME)
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise EmbeddedCredentialError(f"not a readable PDF: {exc}") from exc
    if not contents:
        raise EmbeddedCredentialError(f"the PDF has no attached {CREDENTIAL_FILENAME}")
    try:
        credential = json.loads(contents[0])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EmbeddedCredentialError(f"{CREDENTIAL_FILENAME} is not JSON: {exc}") from exc
    if not isinstance(credential, dict):
        raise EmbeddedCredentialError(f"{CREDENTIAL_FILENAME} is not a JSON object")
    return credential


__all__ = [
    "ATTESTERS",
    "CREDENTIAL_FILENAME",
    "CREDENTIAL_MEDIA_TYPE",
    "CertificateCompetence",
    "CertificateData",
    "CertificateCache",
    "CertificateRenderer",
    "EmbeddedCredentialError",
    "IMAGE_MEDIA_TYPES",
    "Image",
    "key_competence_codes",
    "LANGUAGE_MODES",
    "STATUSES",
    "PREVIEW_STATUS",
    "certificate_cache",
    "certificate_cache_key",
    "certificate_filename",
    "default_renderer",
    "extract_embedded_credential",
    "render_certificate",
    "render_many",
    "shared_pool",
    "shutdown_shared_pools",
    "use_certificate_cache",
    "zip_certificates",
]
