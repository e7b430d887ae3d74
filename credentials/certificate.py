"""PDF certificates of volunteer work: one A4 document per credential, in Latvian, English or both.

The domain core of the certificate: plain data in (`CertificateData`), PDF bytes out. It knows nothing of the
database or HTTP; the caller gathers the record, the organisation and the signed credential and hands them over.

The PDF is PDF/A-3b with the signed credential JSON attached as `credential.json`, so that the file alone can be
verified offline (`extract_embedded_credential`). Rendering goes through WeasyPrint; the parsed stylesheet, the fonts
and the Jinja template are prepared once per `CertificateRenderer` and reused, since preparing them costs more than
laying out a page.
"""

from __future__ import annotations

import atexit
import base64
import functools
import gc
import hashlib
import io
import json
import logging
import multiprocessing
import os
import re
import threading
import zipfile
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal
from itertools import groupby
from pathlib import Path
from typing import Iterable, Mapping, Sequence
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pydyf
import qrcode
from PIL import Image as PILImage
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from catalogue import load_catalogue
from base.i18n import Messages, messages
from credentials.certificate_pdf import PdfForm, SafeEndStream, deflate
from credentials.certificate_typeset import CertificateTypesetter, NotTypesettable

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

LANGUAGE_MODES: tuple[str, ...] = ("lv", "en", "bilingual")

def key_competence_codes() -> tuple[str, ...]:
    """The eight key competences (2018/C 189/01) in the Recommendation's order; the catalogue owns them.
    Certificates group competences under the first one each serves."""
    return tuple(entry.code for entry in sorted(load_catalogue().key_competences, key=lambda entry: entry.number))


IMAGE_MEDIA_TYPES: tuple[str, ...] = ("image/png", "image/jpeg", "image/svg+xml")
ATTESTERS: tuple[str, ...] = ("organiser", "self")

CREDENTIAL_FILENAME = "credential.json"
CREDENTIAL_MEDIA_TYPE = "application/json"
PDF_VARIANT = "pdf/a-3b"


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

    `language`: `lv`, `en` or `bilingual` (Latvian first).
    Volunteer: a named volunteer has `volunteer_name`. A pseudonymous one (`pseudonymous=True`) shows only what the
    volunteer chose: `volunteer_name` may then be a chosen display name or None, and `volunteer_reference` the
    pseudonymous reference printed under it (when no name is shown the certificate says "Volunteer").
    `verify_url`: the absolute `/v/<id>` address the QR code opens.
    `credential`: the signed credential, as the JSON bytes to embed or as a mapping (serialised as UTF-8 JSON).
    """

    language: str
    organisation_name: str
    organisation_reg_no: str
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

    def __post_init__(self):
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

    def pair(self, lv: str, en: str, block: bool = False) -> Markup:
        """One text, or in bilingual mode the Latvian followed by the English in a `.en` span: after a slash, or on
        a line of its own (`block`). Plain text otherwise: every extra element costs layout time."""
        if self.mode == "bilingual":
            if block:
                return Markup('{}<span class="en block" lang="en">{}</span>').format(lv, en)
            return Markup('{}<span class="en" lang="en"> / {}</span>').format(lv, en)
        return escape(lv if self.mode == "lv" else en)

    def t(self, key: str, block: bool = False, **params: object) -> Markup:
        text = self.catalogue.text(key, **params)
        return self.pair(text.lv, text.en, block)

    def plain(self, key: str, **params: object) -> str:
        """A message as plain text (PDF metadata): `lv / en` in bilingual mode."""
        text = self.catalogue.text(key, **params)
        return " / ".join(text.in_language(lang) for lang in self.shown)

    def date(self, value: date) -> str:
        """LV: 01.06.2024. (the Latvian custom); EN: 1 June 2024. Bilingual documents use the Latvian form."""
        month = self.catalogue.get(f"certificate.month.{value.month}", self.primary)
        return self.catalogue.get("certificate.date", self.primary, day=value.day, month=value.month,
                                  month_name=month, year=value.year)

    def number(self, value: int | Decimal) -> str:
        text = format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)
        return text.replace(".", ",") if self.primary == "lv" else text


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
        groups.append(_CompetenceGroup(languages.pair(name.lv, name.en, block=True), list(members), name.lv, name.en))
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


_subset_warning_logged = False


def _check_font_subsetting() -> None:
    """WeasyPrint subsets fonts with HarfBuzz when it can, about five times faster than its fontTools fallback."""
    global _subset_warning_logged
    from weasyprint.text.ffi import harfbuzz_subset

    if harfbuzz_subset is None and not _subset_warning_logged:
        _subset_warning_logged = True
        log.warning("libharfbuzz-subset0 is missing: certificates render several times slower (fontTools subsetting)")


_SIZED_ARRAY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_ ]*?)\s*\[(\d+)\]\s*$")
_arrays_patched = False


def _parse_array_types_once() -> None:
    """WeasyPrint subsets each font with `ffi.new(f"hb_codepoint_t[{n}]", values)`, and cffi parses every distinct
    type string with pycparser (pure Python), so with n changing from certificate to certificate about a fifth of
    a render went to parsing C declarations. The same array asked for as `T[]`, sized by its initialiser (or by the
    count), is the same memory with the same contents, and its type is parsed once per process."""
    global _arrays_patched
    from weasyprint.text.ffi import ffi

    if _arrays_patched:
        return
    _arrays_patched = True
    new = ffi.new

    def new_sized_array(cdecl, init=None):
        match = _SIZED_ARRAY.match(cdecl) if isinstance(cdecl, str) else None
        if match is not None:
            size = int(match[2])
            if init is None:
                return new(f"{match[1]}[]", size)
            if isinstance(init, (list, tuple)) and len(init) == size:
                return new(f"{match[1]}[]", init)
        return new(cdecl, init)

    ffi.new = new_sized_array


_png_patched = False


def _encode_png_streams_once(limit: int = 64) -> None:
    """WeasyPrint embeds a PNG by decoding it and encoding it again with Pillow to take its compressed pixel data
    (`RasterImage._get_png_data`), on every write, although the image itself comes from our image cache: about 3 ms
    per certificate for a logo and a signature. The result depends only on the PNG's bytes, so it is kept here by
    their hash (a few recent images). Images that do not come straight from bytes (an alpha channel split off)
    go through unchanged."""
    global _png_patched
    from weasyprint.images import RasterImage

    if _png_patched:
        return
    _png_patched = True
    encode = RasterImage._get_png_data
    encoded: OrderedDict[bytes, bytes] = OrderedDict()
    lock = threading.Lock()

    def encode_once(pillow_image):
        source = getattr(pillow_image, "fp", None)
        if not isinstance(source, io.BytesIO):
            return encode(pillow_image)
        key = hashlib.sha256(source.getbuffer()).digest()
        with lock:
            if key in encoded:
                encoded.move_to_end(key)
                return encoded[key]
        data = encode(pillow_image)
        with lock:
            encoded[key] = data
            while len(encoded) > limit:
                encoded.popitem(last=False)
        return data

    RasterImage._get_png_data = staticmethod(encode_once)


_HTML_ATTRIBUTES = frozenset({"base_url", "url_fetcher", "media_type", "wrapper_element", "etree_element"})
_xml_parsing_checked: bool | None = None


@functools.cache
def _certificate_html_class():
    """WeasyPrint's `HTML` with the certificate's user agent stylesheet (`static/certificate-ua.css`): WeasyPrint's
    own rules reduced to those that can match the template's elements. Matching every element against the full
    sheet took about 4 ms per certificate. If WeasyPrint stopped asking `_ua_stylesheets`, its full sheet would
    apply again, which gives the same certificate, only slower."""
    from weasyprint import CSS, HTML

    user_agent = CSS(filename=str(STATIC / "certificate-ua.css"))

    class CertificateHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [user_agent]

    return CertificateHTML


def _parsed_html(markup: str, base_url: str, url_fetcher):
    """A WeasyPrint `HTML` document (`_certificate_html_class`) for the template's output, parsed by the C XML parser.

    WeasyPrint parses HTML with a pure-Python HTML5 parser, about 3 ms per certificate; the template writes
    well-formed XHTML (void elements closed), which `xml.etree` parses in a fiftieth of that into the same tree.
    `HTML` has no constructor for a parsed tree, so this one sets what `HTML.__init__` would, after checking once
    that `HTML.__init__` sets exactly those attributes; if it does not (another WeasyPrint), or the markup is not
    well-formed XML (say a control character in a name), WeasyPrint parses the string itself.
    """
    global _xml_parsing_checked
    import cssselect2
    from weasyprint import HTML

    html_class = _certificate_html_class()
    if _xml_parsing_checked is None:
        _xml_parsing_checked = set(vars(HTML(string="<p>check</p>"))) == _HTML_ATTRIBUTES
    if _xml_parsing_checked:
        try:
            root = ElementTree.fromstring(markup)
        except ElementTree.ParseError:
            root = None
        if root is not None and root.tag == "html":
            html = html_class.__new__(html_class)
            html.base_url = base_url  # the template sets no <base href>
            html.url_fetcher = url_fetcher
            html.media_type = "print"
            html.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
            html.etree_element = html.wrapper_element.etree_element
            return html
    return html_class(string=markup, base_url=base_url, url_fetcher=url_fetcher)


class CertificateRenderer:
    """Renders certificates; holds the parsed stylesheet, the fonts and the compiled template for reuse.

    Build one per process and keep it (`default_renderer`): construction parses CSS and registers fonts, rendering
    reuses them. Renders are serialised by a lock: WeasyPrint's font state is not made for concurrent use, and the
    work is CPU-bound Python that threads would not run in parallel anyway (`render_many` uses processes).
    """

    def __init__(self, catalogue: Messages | None = None, typeset: bool = True):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        _check_font_subsetting()
        _parse_array_types_once()
        _encode_png_streams_once()
        self.catalogue = catalogue or messages()
        self.font_config = FontConfiguration()
        self.resources = _Resources()
        self.url_fetcher = self.resources.fetcher
        self.image_cache = _ImageCache()
        self.stylesheet = CSS(filename=str(STATIC / "certificate.css"), font_config=self.font_config,
                              url_fetcher=self.url_fetcher)
        environment = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True,
                                  undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.template = environment.get_template("certificate.html")
        self._lock = threading.RLock()
        # The fast path (`certificate_typeset`); without it every certificate goes through WeasyPrint.
        self.typesetter = CertificateTypesetter() if typeset else None
        self._vector_images: dict[tuple[str, str], PdfForm | None] = {}

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
        )

    def document(self, data: CertificateData):
        """The laid-out certificate (a WeasyPrint `Document`) before it is written: its pages can be inspected."""
        with self._lock:
            html = _parsed_html(self.html(data), str(STATIC) + "/", self.url_fetcher)
            return html.render(stylesheets=[self.stylesheet], font_config=self.font_config, cache=self.image_cache,
                               pdf_variant=PDF_VARIANT)

    def render(self, data: CertificateData) -> bytes:
        """The certificate as PDF/A-3b bytes with the signed credential attached: set directly when the typesetter
        can (up to two pages, the bundled fonts; see `certificate_typeset`), else with WeasyPrint."""
        if self.typesetter is not None:
            try:
                return self.typeset(data)
            except NotTypesettable as reason:
                log.debug("certificate rendered with WeasyPrint: %s", reason)  # the reason names no text
        return self.render_with_weasyprint(data)

    def typeset(self, data: CertificateData) -> bytes:
        """The certificate set by `CertificateTypesetter`; raises `NotTypesettable` when it needs WeasyPrint."""
        if self.typesetter is None:
            raise NotTypesettable("the typesetter is switched off")
        languages = _Languages(data.language, self.catalogue)
        with self._lock:
            logo, signature = (self._typesettable_image(image, place) if image else None
                               for image, place in ((data.organisation_logo, "logo"),
                                                    (data.signature_image, "signature")))
            return self.typesetter.render(data, languages, _group_competences(data.competences, languages),
                                          _qr_picture(data.verify_url), logo, signature,
                                          hours=languages.number(data.hours))

    #: How the stylesheet sizes an image, for drawing an SVG alone at the size it has on a certificate: its limits
    #: and the width of the box it is in (which sizes an SVG that gives only a ratio). The signature is absolutely
    #: positioned on the certificate, which sizes a replaced element the same way.
    _IMAGE_PLACES = {
        "logo": ("{content}pt", "max-height: 16mm; max-width: 45mm"),
        "signature": ("{signature}pt", "max-height: 13mm; max-width: 55mm"),
    }

    def _typesettable_image(self, image: Image, place: str):
        """A raster image prepared for embedding (`Image`), or an SVG drawn by WeasyPrint once, at the size the
        stylesheet gives it in `place`, as a `PdfForm` (kept per image and place)."""
        url = self.resources.url(image)
        prepared = self.resources.images[url]
        if prepared.media_type != "image/svg+xml":
            return prepared
        key = (url, place)
        if key not in self._vector_images:
            self._vector_images[key] = self._draw_svg(url, place)
            while len(self._vector_images) > 32:
                self._vector_images.pop(next(iter(self._vector_images)))
        form = self._vector_images[key]
        if form is None:
            raise NotTypesettable("an SVG image WeasyPrint does not draw")
        return form

    def _draw_svg(self, url: str, place: str) -> PdfForm | None:
        """The SVG at `url` drawn by WeasyPrint alone on a page of its size on the certificate (found by laying it
        out under the same rules first); None if WeasyPrint draws nothing for it (an SVG it cannot read)."""
        from weasyprint import HTML
        from weasyprint.formatting_structure.boxes import ReplacedBox

        from credentials.certificate_typeset import CONTENT_WIDTH

        container, limits = self._IMAGE_PLACES[place]
        container = container.format(content=CONTENT_WIDTH, signature=0.31 * CONTENT_WIDTH)

        def page(size: str, image_rules: str):
            markup = (f"<!DOCTYPE html><html><head><style>@page {{ size: {size}; margin: 0 }} body {{ margin: 0 }}"
                      f"</style></head><body><div style=\"width: {container}\"><img style=\"{image_rules}\" "
                      f"src=\"{url}\"/></div></body></html>")
            return HTML(string=markup, base_url=str(STATIC) + "/", url_fetcher=self.url_fetcher).render(
                font_config=self.font_config, cache=self.image_cache, pdf_variant=PDF_VARIANT)

        sized = page("400mm 400mm", "display: inline-block; " + limits)
        box = next((box for box in sized.pages[0]._page_box.descendants() if isinstance(box, ReplacedBox)), None)
        if box is None or box.width < 0.5 or box.height < 0.5:
            return None
        width, height = box.width, box.height  # CSS pixels
        drawn = page(f"{width}px {height}px", f"display: block; width: {width}px; height: {height}px")
        return PdfForm(drawn.write_pdf(pdf_variant=PDF_VARIANT))

    def render_with_weasyprint(self, data: CertificateData) -> bytes:
        """The certificate as WeasyPrint lays it out from the template and the stylesheet."""
        from weasyprint import Attachment

        issued = datetime.combine(data.issue_date, time(0, 0), tzinfo=timezone.utc)
        credential = base64.b64encode(data.credential_bytes()).decode("ascii")
        attachment = Attachment(
            url=f"data:{CREDENTIAL_MEDIA_TYPE};base64,{credential}",
            url_fetcher=self.url_fetcher,
            name=CREDENTIAL_FILENAME,
            description=_Languages(data.language, self.catalogue).plain("certificate.attachment_description"),
            created=issued,
            modified=issued,
            relationship="Source",
        )
        with self._lock, _collecting_once():
            return self.document(data).write_pdf(
                attachments=[attachment],
                pdf_variant=PDF_VARIANT,
                # Identical input gives identical bytes: the identifier is a hash of the content, not random.
                pdf_identifier=True,
                finisher=_finish_pdfa,
            )


@contextmanager
def _collecting_once():
    """Runs a render with the cyclic garbage collector paused, then collects the youngest generation once.

    A render allocates some hundred thousand objects that live until it ends, so the collector's automatic passes
    during a render find little to free but scan the render's objects again and again, and now and then scan every
    object in the process (WeasyPrint's modules, fonts, caches): about 7 ms of a 70 ms render. The cycles a render
    leaves behind (about 6,000 objects) are freed by the one pass at the end. The collector's switch is global: other
    threads run without automatic passes for the length of a render, which delays their collection, nothing more.
    When the collector is already off, it stays off and nothing is collected.
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


def _finish_pdfa(document, pdf) -> None:
    """Fixes to WeasyPrint 70's PDF/A-3 output and the streams' compression, applied just before the file is written.

    PDF/A-2 and -3 forbid a Filter on the XMP metadata stream (ISO 19005-2, 6.6.2.1), which WeasyPrint compresses
    for every PDF/A version but the first; and WeasyPrint lists each attachment twice in the catalog's /AF array.
    The other streams that WeasyPrint leaves to pydyf to compress (page content, fonts, their Unicode maps, the
    colour profile, the attached credential) are deflated here, once, as the typesetter's writer does (`deflate`,
    level 6): pydyf would deflate each at level 9 while writing, and again to hash the file for its identifier.
    """
    metadata = int(pdf.catalog["Metadata"].split()[0])
    pdf.objects[metadata].compress = False
    for item in pdf.objects:
        if isinstance(item, pydyf.Stream) and item.compress:
            raw = b"\n".join(pydyf._to_bytes(part) for part in item.stream)  # what Stream.data would join
            item.stream = [deflate(raw)]
            item.extra["Filter"] = "/FlateDecode"
            item.compress = False
            item.__class__ = SafeEndStream  # data ending with CR keeps its last byte (see SafeEndStream)
    if "AF" in pdf.catalog:
        unique = list(dict.fromkeys(pdf.catalog["AF"]))
        pdf.catalog["AF"].clear()
        pdf.catalog["AF"].extend(unique)


_renderer: CertificateRenderer | None = None
_renderer_lock = threading.Lock()


def default_renderer() -> CertificateRenderer:
    """This process's renderer, made on first use."""
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = CertificateRenderer()
        return _renderer


def render_certificate(data: CertificateData) -> bytes:
    """One certificate as PDF/A-3b bytes, with this process's renderer."""
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
        context.set_forkserver_preload(["credentials.certificate", "weasyprint"])
        return context
    return multiprocessing.get_context("spawn")


def render_many(items: Iterable[CertificateData], processes: int | None = None) -> list[bytes]:
    """Render a batch over a pool of processes (all cores by default), in the order given.

    The pool is this process's shared one (`shared_pool`), started by the first batch and kept for the next: starting
    workers and their renderers costs about as much as rendering a dozen certificates. With one process, or one
    item, renders here without a pool.
    """
    items = list(items)
    processes = max(1, min(processes or _available_cores(), len(items)))
    if processes == 1:
        renderer = default_renderer()
        return [renderer.render(item) for item in items]
    try:
        return _render_on_shared_pool(items, processes)
    except BrokenProcessPool:
        # A worker died (killed while idle, out of memory): a new pool gets the batch once more.
        return _render_on_shared_pool(items, processes)


def _render_on_shared_pool(items: list[CertificateData], processes: int) -> list[bytes]:
    pool = shared_pool(processes)
    try:
        return list(pool.map(render_certificate, items, chunksize=max(1, min(8, len(items) // (processes * 4)))))
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
    tail = data.credential_id.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in tail).strip("-.") or "certificate"
    return f"certificate-{safe}.pdf"


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
    "ATTESTERS", "CREDENTIAL_FILENAME", "CREDENTIAL_MEDIA_TYPE", "CertificateCompetence", "CertificateData",
    "CertificateRenderer", "EmbeddedCredentialError", "IMAGE_MEDIA_TYPES", "Image", "key_competence_codes",
    "LANGUAGE_MODES", "certificate_filename", "default_renderer", "extract_embedded_credential", "render_certificate",
    "render_many", "shared_pool", "shutdown_shared_pools", "zip_certificates",
]
