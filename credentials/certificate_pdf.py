"""A small, fast, deterministic PDF/A-3b writer for certificates that are laid out by our own typesetter.

Certificates are one-page A4 PDF/A-3b files. WeasyPrint makes them in about 65 ms, most of it in layout machinery a
fixed one-page design does not need. The fast path shapes text with HarfBuzz itself and draws into the `PageCanvas`
of this module: glyph runs, lines, stroked rectangles, images and links, in points with the origin at the top left.
`write_pdfa3b` turns the pages into PDF/A-3b bytes: fonts embedded as HarfBuzz subsets (Type0/CIDFontType2,
Identity-H, with a ToUnicode map so that the text extracts), the sRGB output intent, XMP metadata agreeing with the
Info dictionary, and the signed credential as an associated file.

The output is deterministic: the same input gives the same bytes (subset tags and the file identifier are hashes
of the content, nothing is random and the clock is never read), so certificates can be compared and cached.
What can be reused across documents is cached: loaded fonts (by the caller, one `FontProgram` per file and
process), font subsets by glyph set, decoded and compressed images by content hash, the compressed ICC profile.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape

import pydyf
import uharfbuzz as hb

#: zlib level for every compressed stream: level 9 costs about twice the time for a file under 1% smaller.
COMPRESSION_LEVEL = 6
PRODUCER = "volunteer-credentials"

_SUBSET_CACHE_SIZE = 64
_IMAGE_CACHE_SIZE = 64
# Tables a PDF viewer never reads from an embedded font: layout is already done, and glyph names, kerning and
# device metrics only make the file larger and the subsetting slower.
_DROPPED_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "kern", "DSIG", "hdmx", "LTSH", "VDMX", "PCLT",
                   "FFTM", "EBDT", "EBLC", "EBSC", "SVG ")
# Hinting is dropped as WeasyPrint does by default (the current certificates carry none): it is a third of a
# subset's glyph data and PDF viewers mostly ignore it. Layout closure would pull in glyphs no one drew.
_SUBSET_FLAGS = hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.NO_HINTING | hb.SubsetFlags.NO_LAYOUT_CLOSURE


def deflate(data: bytes) -> bytes:
    """`data` Flate-compressed at `COMPRESSION_LEVEL`, for this writer's streams and WeasyPrint's (its finisher)."""
    return zlib.compress(data, COMPRESSION_LEVEL)


class SafeEndStream(pydyf.Stream):
    """A pydyf stream whose data may end with a carriage return.

    pydyf writes a line feed before `endstream`; when the data itself ends with CR, readers (PDF/A validators
    among them) take that CR LF as the end-of-line marker and find the data one byte shorter than its /Length.
    A compressed stream ends with its Adler-32 checksum, so this happens to one stream in 256. Then CR LF is
    written, which leaves the data's own CR inside the length."""

    @property
    def data(self):
        data = super().data
        if data.endswith(b"\r\nendstream"):
            data = data[:-len(b"\nendstream")] + b"\r\nendstream"
        return data


def _num(value: float) -> str:
    """A number for a content stream: at most three decimals, no trailing zeros, never `-0`."""
    if value == int(value):
        return str(int(value))
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _name(value: str) -> str:
    """A PDF name object (`/application#2Fjson`): delimiters, whitespace and non-ASCII bytes escaped as `#XX`."""
    return "/" + "".join(chr(byte) if 33 <= byte <= 126 and chr(byte) not in "<>()[]{}/%#" else f"#{byte:02X}"
                         for byte in value.encode("utf-8"))


def _pdf_date(moment: datetime) -> str:
    return _utc(moment).strftime("D:%Y%m%d%H%M%S+00'00'")


def _xmp_date(moment: datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(moment: datetime) -> datetime:
    """The moment in UTC; a naive datetime is taken to be UTC already."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _stream(data: bytes, extra: dict | None = None) -> pydyf.Stream:
    """A Flate stream compressed here, once, at our level (pydyf would compress at level 9, and again for the ID)."""
    extra = dict(extra or {})
    extra["Filter"] = "/FlateDecode"
    return SafeEndStream([deflate(data)], extra)


# --- fonts ---------------------------------------------------------------------------------------------------------


class FontProgram:
    """A TrueType font file loaded once per process: HarfBuzz face and font for shaping, metrics for the PDF."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.data = self.path.read_bytes()
        self.face = hb.Face(self.data)
        self.font = hb.Font(self.face)  # scale left at upem: shaping results are in font units
        self.upem = self.face.upem
        extents = self.font.get_font_extents("ltr")
        self.ascender = extents.ascender
        self.descender = extents.descender
        self.unicodes = frozenset(self.face.unicodes)

        head = self.face.reference_table("head").data
        x_min, y_min, x_max, y_max = struct.unpack(">hhhh", head[36:44])
        mac_style = struct.unpack(">H", head[44:46])[0]
        post = self.face.reference_table("post").data
        italic_angle = struct.unpack(">i", post[4:8])[0] / 65536 if len(post) >= 16 else 0.0
        fixed_pitch = len(post) >= 16 and struct.unpack(">I", post[12:16])[0] != 0
        os2 = self.face.reference_table("OS/2").data
        weight = struct.unpack(">H", os2[4:6])[0] if len(os2) >= 6 else 400
        family_class = (struct.unpack(">h", os2[30:32])[0] >> 8) if len(os2) >= 32 else 0
        if len(os2) >= 90 and struct.unpack(">H", os2[:2])[0] >= 2:
            self.x_height, self.cap_height = struct.unpack(">hh", os2[86:90])
        else:  # OS/2 before version 2 has no such fields: measure the glyphs instead
            self.x_height = self._glyph_top("x", self.ascender // 2)
            self.cap_height = self._glyph_top("H", self.ascender)

        scale = 1000 / self.upem
        self.postscript_name = self._postscript_name()
        self._bbox = [round(v * scale) for v in (x_min, y_min, x_max, y_max)]
        self._italic_angle = italic_angle
        flags = 4  # symbolic: glyphs are addressed through Identity-H, not a standard encoding
        if fixed_pitch:
            flags |= 1
        if family_class in (1, 2, 3, 4, 5, 7):  # the OS/2 serif classes
            flags |= 2
        if italic_angle or mac_style & 2:
            flags |= 64
        self._flags = flags
        # No font file states its stem width; this is the usual estimate from the weight class.
        self._stem_v = round(10 + 220 * ((weight - 50) / 900) ** 2)
        self._advances: dict[int, int] = {}
        self._widths: dict[int, float] = {}  # glyph id -> advance in 1/1000 em, as in the /W array
        self._subsets: OrderedDict[frozenset[int], tuple[str, bytes, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FontProgram({self.path.name!r})"

    def advance(self, glyph_id: int) -> int:
        """Horizontal advance of a glyph in font units."""
        advance = self._advances.get(glyph_id)
        if advance is None:
            advance = self._advances[glyph_id] = self.font.get_glyph_h_advance(glyph_id)
        return advance

    def _width(self, glyph_id: int) -> float:
        width = self._widths.get(glyph_id)
        if width is None:
            width = self._widths[glyph_id] = self.advance(glyph_id) * 1000 / self.upem
        return width

    def _glyph_top(self, char: str, fallback: int) -> int:
        glyph = self.font.get_nominal_glyph(ord(char))
        extents = self.font.get_glyph_extents(glyph) if glyph else None
        return extents.y_bearing if extents else fallback

    def _postscript_name(self) -> str:
        name = self.face.get_name(hb.OTNameIdPredefined.POSTSCRIPT_NAME) or self.path.stem
        # PostScript names are printable ASCII without delimiters; anything else would need escaping in every viewer.
        cleaned = "".join(c for c in name if 33 <= ord(c) <= 126 and c not in "[](){}<>/%#")
        return cleaned or "Font"

    def _subset(self, glyph_ids: frozenset[int]) -> tuple[str, bytes, int]:
        """(subset tag, Flate-compressed subset, its uncompressed length), cached by glyph set."""
        with self._lock:
            cached = self._subsets.get(glyph_ids)
            if cached is not None:
                self._subsets.move_to_end(glyph_ids)
                return cached
        ordered = sorted(glyph_ids)
        digest = hashlib.sha256(self.postscript_name.encode() + b"\0" + struct.pack(f">{len(ordered)}H", *ordered))
        tag = "".join(chr(65 + byte % 26) for byte in digest.digest()[:6])
        subset_input = hb.SubsetInput()
        subset_input.glyph_set.update(ordered)
        subset_input.glyph_set.add(0)
        subset_input.flags = _SUBSET_FLAGS
        subset_input.drop_table_tag_set.update(_table_tag(name) for name in _DROPPED_TABLES)
        program = hb.subset(self.face, subset_input).blob.data
        result = (tag, deflate(program), len(program))
        with self._lock:
            self._subsets[glyph_ids] = result
            if len(self._subsets) > _SUBSET_CACHE_SIZE:
                self._subsets.popitem(last=False)
        return result


def _table_tag(name: str) -> int:
    return int.from_bytes(name.encode("ascii"), "big")


def _add_font(pdf: pydyf.PDF, font: FontProgram, used: dict[int, str]) -> bytes:
    """Adds one Type0 font with its CIDFontType2 descendant, descriptor, subset and Unicode map; its reference."""
    glyph_ids = sorted(used)
    tag, program, program_length = font._subset(frozenset(glyph_ids))
    base_font = f"{tag}+{font.postscript_name}"
    scale = 1000 / font.upem

    font_file = SafeEndStream([program], {"Filter": "/FlateDecode", "Length1": program_length})
    pdf.add_object(font_file)
    descriptor = pydyf.Dictionary({
        "Type": "/FontDescriptor",
        "FontName": _name(base_font),
        "Flags": font._flags,
        "FontBBox": pydyf.Array(font._bbox),
        "ItalicAngle": _num(font._italic_angle),
        "Ascent": round(font.ascender * scale),
        "Descent": round(font.descender * scale),
        "CapHeight": round(font.cap_height * scale),
        "XHeight": round(font.x_height * scale),
        "StemV": font._stem_v,
        "FontFile2": font_file.reference,
    })
    pdf.add_object(descriptor)

    # /W in runs of consecutive glyph ids: [first [w w w] first [w] ...]
    widths: list[str] = []
    run: list[str] = []
    previous = None
    for glyph_id in glyph_ids:
        if previous is None or glyph_id != previous + 1:
            if run:
                widths.append("[" + " ".join(run) + "]")
            widths.append(str(glyph_id))
            run = []
        run.append(_num(font._width(glyph_id)))
        previous = glyph_id
    if run:
        widths.append("[" + " ".join(run) + "]")

    descendant = pydyf.Dictionary({
        "Type": "/Font",
        "Subtype": "/CIDFontType2",
        "BaseFont": _name(base_font),
        "CIDSystemInfo": b"<</Registry (Adobe) /Ordering (Identity) /Supplement 0>>",
        "FontDescriptor": descriptor.reference,
        "W": "[" + " ".join(widths) + "]",
        "CIDToGIDMap": "/Identity",
    })
    pdf.add_object(descendant)
    to_unicode = _stream(_to_unicode_cmap(used))
    pdf.add_object(to_unicode)
    type0 = pydyf.Dictionary({
        "Type": "/Font",
        "Subtype": "/Type0",
        "BaseFont": _name(base_font),
        "Encoding": "/Identity-H",
        "DescendantFonts": pydyf.Array([descendant.reference]),
        "ToUnicode": to_unicode.reference,
    })
    pdf.add_object(type0)
    return type0.reference


_CMAP_HEADER = (
    "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
    "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
    "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
    "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
)
_CMAP_FOOTER = "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"


def _to_unicode_cmap(used: dict[int, str]) -> bytes:
    """The ToUnicode CMap: each glyph id to its text. Glyphs that only ever continue a cluster map to nothing, so
    that extraction does not repeat the cluster's text."""
    entries = [f"<{glyph_id:04X}> <{text.encode('utf-16-be').hex().upper()}>"
               for glyph_id, text in sorted(used.items()) if text]
    parts = [_CMAP_HEADER]
    for start in range(0, len(entries), 100):  # at most 100 entries per bfchar block (PDF 1.7, 9.10.3)
        block = entries[start:start + 100]
        parts.append(f"{len(block)} beginbfchar\n" + "\n".join(block) + "\nendbfchar\n")
    parts.append(_CMAP_FOOTER)
    return "".join(parts).encode("ascii")


# --- images --------------------------------------------------------------------------------------------------------


class PdfImage:
    """A raster image ready to embed: decoded and compressed once, cached by content across documents."""

    _cache: OrderedDict[bytes, PdfImage] = OrderedDict()
    _cache_lock = threading.Lock()

    def __init__(self, width: int, height: int, color_space: str, data: bytes, filter_name: str, digest: bytes):
        self.width = width
        self.height = height
        self._color_space = color_space
        self._data = data
        self._filter = filter_name
        self._digest = digest

    def __repr__(self) -> str:
        return f"PdfImage({self.width}x{self.height} {self._color_space} {self._filter})"

    @classmethod
    def from_bytes(cls, data: bytes, media_type: str) -> PdfImage:
        """An image file: JPEG (RGB or grey) passed through as DCTDecode, anything else decoded and Flate-compressed."""
        digest = hashlib.sha256(media_type.encode() + b"\0" + data).digest()
        cached = cls._cached(digest)
        if cached is not None:
            return cached
        from PIL import Image

        picture = Image.open(io.BytesIO(data))
        if media_type == "image/jpeg" and picture.format == "JPEG" and picture.mode in ("RGB", "L"):
            # The JPEG data is valid PDF DCTDecode data as it is: no decoding, no loss. CMYK JPEGs are decoded
            # below instead, since a CMYK image does not match the sRGB output intent.
            space = "/DeviceRGB" if picture.mode == "RGB" else "/DeviceGray"
            image = cls(picture.width, picture.height, space, data, "/DCTDecode", digest)
        else:
            image = cls._flate(picture, digest)
        return cls._store(image)

    @classmethod
    def from_pil(cls, picture) -> PdfImage:
        """A PIL image (the QR code: mode "L", one pixel per module), Flate-compressed. Not cached: each
        certificate's QR code is its own, and keeping them would only push the logos out of the cache."""
        digest = hashlib.sha256(f"{picture.mode}:{picture.width}x{picture.height}\0".encode()
                                + picture.tobytes()).digest()
        return cls._flate(picture, digest)

    @classmethod
    def _flate(cls, picture, digest: bytes) -> PdfImage:
        from PIL import Image

        if picture.mode == "P":
            picture = picture.convert("RGBA" if "transparency" in picture.info else "RGB")
        if picture.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
            # PDF/A allows soft masks, but a certificate's images are opaque: flatten onto the white paper.
            rgba = picture.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            picture = Image.alpha_composite(background, rgba).convert("L" if picture.mode.startswith("L") else "RGB")
        elif picture.mode == "1":
            picture = picture.convert("L")
        elif picture.mode != "L" and picture.mode != "RGB":
            picture = picture.convert("RGB")
        space = "/DeviceRGB" if picture.mode == "RGB" else "/DeviceGray"
        data = deflate(picture.tobytes())
        return cls(picture.width, picture.height, space, data, "/FlateDecode", digest)

    @classmethod
    def _cached(cls, digest: bytes) -> PdfImage | None:
        with cls._cache_lock:
            image = cls._cache.get(digest)
            if image is not None:
                cls._cache.move_to_end(digest)
            return image

    @classmethod
    def _store(cls, image: PdfImage) -> PdfImage:
        with cls._cache_lock:
            cls._cache[image._digest] = image
            if len(cls._cache) > _IMAGE_CACHE_SIZE:
                cls._cache.popitem(last=False)
        return image

    def _xobject(self, pdf: pydyf.PDF) -> pydyf.Stream:
        return SafeEndStream([self._data], {
            "Type": "/XObject",
            "Subtype": "/Image",
            "Width": self.width,
            "Height": self.height,
            "ColorSpace": self._color_space,
            "BitsPerComponent": 8,
            "Interpolate": "false",  # a QR code must stay sharp-edged when scaled up
            "Filter": self._filter,
        })


# --- pages ---------------------------------------------------------------------------------------------------------


class PdfForm:
    """A vector drawing made by another PDF writer (an SVG logo as WeasyPrint draws it), embedded as a Form XObject:
    the first page's content and resources, read once, copied into each document that shows it.

    The form's matrix maps its page onto the unit square, so `PageCanvas.image` places it like a raster image.
    """

    def __init__(self, pdf_bytes: bytes):
        from pypdf import PdfReader

        page = PdfReader(io.BytesIO(pdf_bytes)).pages[0]
        left, bottom, right, top = (float(value) for value in page.mediabox)
        self.width, self.height = right - left, top - bottom  # points
        if self.width <= 0 or self.height <= 0:
            raise ValueError("the drawing has no area")
        self._box = (left, bottom, right, top)
        contents = page.get_contents()
        self._content = contents.get_data() if contents is not None else b""
        self._resources = page.get("/Resources")
        self._group = page.get("/Group")
        self._digest = hashlib.sha256(pdf_bytes).digest()

    def _xobject(self, pdf: pydyf.PDF) -> pydyf.Stream:
        left, bottom, right, top = self._box
        copied: dict[int, bytes] = {}
        extra = {
            "Type": "/XObject",
            "Subtype": "/Form",
            "BBox": pydyf.Array([_num(left), _num(bottom), _num(right), _num(top)]),
            # Full precision: at three decimals, 1/127.6 would come out 2 % too large.
            "Matrix": pydyf.Array([repr(1 / self.width), 0, 0, repr(1 / self.height),
                                   repr(-left / self.width), repr(-bottom / self.height)]),
            "Resources": _copy_object(self._resources, pdf, copied) if self._resources is not None
            else pydyf.Dictionary(),
        }
        if self._group is not None:
            extra["Group"] = _copy_object(self._group, pdf, copied)
        return _stream(self._content, extra)


def _copy_object(value, pdf: pydyf.PDF, copied: dict[int, bytes]):
    """A pypdf object as pydyf objects in `pdf`: indirect objects added once each (`copied`: their new references),
    streams kept as they are encoded, everything else written as the source wrote it."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

    if isinstance(value, IndirectObject):
        reference = copied.get(value.idnum)
        if reference is None:
            target = value.get_object()
            if isinstance(target, StreamObject):
                made = SafeEndStream([target._data], None)
            elif isinstance(target, DictionaryObject):
                made = pydyf.Dictionary()
            elif isinstance(target, ArrayObject):
                made = pydyf.Array()
            else:
                return _copy_object(target, pdf, copied)  # an indirect number or name: inlined
            pdf.add_object(made)
            reference = copied[value.idnum] = made.reference  # before the contents, which may point back
            _fill(made, target, pdf, copied)
        return reference
    if isinstance(value, StreamObject):  # a direct stream cannot be: streams are always indirect
        raise ValueError("a stream that is not an indirect object")
    if isinstance(value, DictionaryObject):
        return _fill(pydyf.Dictionary(), value, pdf, copied)
    if isinstance(value, ArrayObject):
        return _fill(pydyf.Array(), value, pdf, copied)
    buffer = io.BytesIO()
    value.write_to_stream(buffer)
    return buffer.getvalue()


def _fill(made, source, pdf: pydyf.PDF, copied: dict[int, bytes]):
    if isinstance(made, pydyf.Stream):
        made.extra = {key[1:]: _copy_object(item, pdf, copied) for key, item in source.items()
                      if key != "/Length"}
    elif isinstance(made, pydyf.Dictionary):
        for key, item in source.items():
            made[key[1:]] = _copy_object(item, pdf, copied)
    else:
        made.extend(_copy_object(item, pdf, copied) for item in source)
    return made


class PageCanvas:
    """One page. Coordinates in points, origin top-left, y growing downwards (the writer flips to PDF space).

    Drawing operations are turned into content-stream operators as they come, so that writing the document only
    joins and compresses them. Colour, line width and font are emitted only when they change.
    """

    def __init__(self, width: float, height: float):
        self.width = width
        self.height = height
        self._ops: list[str] = []
        self._fonts: dict[FontProgram, str] = {}  # font -> resource name on this page
        self._glyphs: dict[FontProgram, set[int]] = {}  # font -> glyph ids shown
        self._texts: dict[FontProgram, dict[int, str]] = {}  # font -> glyph id -> the first text given for it
        self._images: dict[bytes, tuple[str, PdfImage]] = {}  # digest -> (resource name, image)
        self._links: list[tuple[float, float, float, float, str]] = []
        self._in_text = False
        self._fill: tuple[float, float, float] | None = None
        self._stroke: tuple[float, float, float] | None = None
        self._line_width: float | None = None
        self._font: tuple[str, float] | None = None
        self._char_spacing = 0.0

    def text(self, x: float, baseline_y: float, font: FontProgram, size: float, color: tuple[float, float, float],
             glyphs: Sequence[tuple[int, float, str]], letter_spacing: float = 0.0) -> None:
        """Glyphs in order: (glyph id, advance in points to the next glyph as laid out — kerning and letter-spacing
        included —, the text the glyph stands for: '' for the second and later glyphs of one cluster, more than one
        character for a ligature).

        `letter_spacing` (points) is written as the character spacing (`Tc`) rather than as gaps between glyphs:
        text extractors read a large gap in a TJ array as a space, and "A P L I E C I N Ā J U M S" is not the word.
        Glyph 0 (.notdef) is never drawn, since PDF/A forbids showing it; its advance is kept as a gap.
        """
        if not glyphs:
            return
        ops = self._ops
        if not self._in_text:
            ops.append("BT")
            self._in_text = True
        resource = self._fonts.get(font)
        if resource is None:
            resource = self._fonts[font] = f"F{len(self._fonts)}"
            self._glyphs[font] = set()
            self._texts[font] = {}
        if self._font != (resource, size):
            ops.append(f"/{resource} {_num(size)} Tf")
            self._font = (resource, size)
        if self._fill != color:
            ops.append(f"{_num(color[0])} {_num(color[1])} {_num(color[2])} rg")
            self._fill = color
        if self._char_spacing != letter_spacing:
            ops.append(f"{_num(letter_spacing)} Tc")
            self._char_spacing = letter_spacing
        ops.append(f"1 0 0 1 {_num(x)} {_num(self.height - baseline_y)} Tm")

        seen = self._glyphs[font]
        named = self._texts[font]
        widths = font._widths
        scale = 1000 / size
        parts: list[str] = []
        segment: list[int] = []  # glyph ids shown by one hex string
        # The TJ number after a glyph moves the next one by -n/1000 em: n = W width - laid-out advance, both in
        # 1/1000 em. Only differences of 0.005 or more are written, rounded to 0.01; the remainder is carried on,
        # so that long runs do not drift. One pass over the glyphs: this loop is most of a page's writing time.
        pending = 0.0
        for glyph_id, advance, text in glyphs:
            if not glyph_id:  # .notdef: not shown, its advance added to the gap before the next glyph
                pending -= advance * scale
                continue
            if pending >= 0.005 or pending <= -0.005:
                rounded = round(pending, 2)
                if rounded:
                    if segment:
                        parts.append("<" + struct.pack(f">{len(segment)}H", *segment).hex() + ">")
                        seen.update(segment)
                        segment = []
                    parts.append(_num(rounded))
                    pending -= rounded
            segment.append(glyph_id)
            width = widths.get(glyph_id)
            if width is None:
                width = font._width(glyph_id)
            pending += width - (advance - letter_spacing) * scale
            if text and glyph_id not in named:
                named[glyph_id] = text
        if not segment:
            return
        seen.update(segment)  # the last segment only: earlier ones are added as they are cut
        parts.append("<" + struct.pack(f">{len(segment)}H", *segment).hex() + ">")
        ops.append("[" + " ".join(parts) + "] TJ")

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float,
             color: tuple[float, float, float]) -> None:
        self._stroke_state(width, color)
        h = self.height
        self._ops.append(f"{_num(x1)} {_num(h - y1)} m {_num(x2)} {_num(h - y2)} l S")

    def rectangle(self, x: float, y: float, width: float, height: float, line_width: float,
                  color: tuple[float, float, float]) -> None:
        """A stroked, unfilled rectangle; (x, y) is its top-left corner."""
        self._stroke_state(line_width, color)
        self._ops.append(f"{_num(x)} {_num(self.height - y - height)} {_num(width)} {_num(height)} re S")

    def image(self, x: float, y: float, width: float, height: float, image: PdfImage) -> None:
        """The image scaled to the box whose top-left corner is (x, y)."""
        self._end_text()
        entry = self._images.get(image._digest)
        if entry is None:
            entry = self._images[image._digest] = (f"Im{len(self._images)}", image)
        # q/Q keeps the scaling out of what follows; no colour or width is changed inside, so the tracked state holds.
        self._ops.append(f"q {_num(width)} 0 0 {_num(height)} {_num(x)} {_num(self.height - y - height)} cm "
                         f"/{entry[0]} Do Q")

    def link(self, x: float, y: float, width: float, height: float, uri: str) -> None:
        """A clickable area (top-left corner (x, y)) opening the URI."""
        self._links.append((x, self.height - y - height, x + width, self.height - y, uri))

    def _stroke_state(self, width: float, color: tuple[float, float, float]) -> None:
        self._end_text()
        if self._line_width != width:
            self._ops.append(f"{_num(width)} w")
            self._line_width = width
        if self._stroke != color:
            self._ops.append(f"{_num(color[0])} {_num(color[1])} {_num(color[2])} RG")
            self._stroke = color

    def _end_text(self) -> None:
        if self._in_text:
            self._ops.append("ET")
            self._in_text = False

    def _content(self) -> bytes:
        ops = self._ops + ["ET"] if self._in_text else self._ops
        return "\n".join(ops).encode("ascii")


# --- the document --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PdfMetadata:
    title: str
    author: str
    subject: str
    creator: str
    created: datetime
    language: str  # BCP 47, e.g. "lv" or "en"


@dataclass(frozen=True)
class PdfAttachment:
    filename: str
    data: bytes
    media_type: str
    description: str
    created: datetime
    relationship: str = "Source"


_icc_stream: bytes | None = None
_icc_lock = threading.Lock()


def _icc_profile() -> bytes:
    """The sRGB profile WeasyPrint ships, Flate-compressed once per process.

    Found through the package's location without importing WeasyPrint, which would load Pango for nothing.
    """
    global _icc_stream
    with _icc_lock:
        if _icc_stream is None:
            spec = importlib.util.find_spec("weasyprint")
            if spec is None or not spec.submodule_search_locations:
                raise RuntimeError("the sRGB profile comes with WeasyPrint, which is not installed")
            path = Path(next(iter(spec.submodule_search_locations))) / "pdf" / "sRGB2014.icc"
            _icc_stream = deflate(path.read_bytes())
        return _icc_stream


def _xmp(metadata: PdfMetadata) -> bytes:
    """The XMP packet: PDF/A identification and the same values as the Info dictionary (ISO 19005-3, 6.6.2.3)."""
    created = _xmp_date(metadata.created)
    dc = []
    if metadata.title:
        dc.append(f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(metadata.title)}</rdf:li></rdf:Alt>'
                  "</dc:title>")
    if metadata.author:
        dc.append(f"<dc:creator><rdf:Seq><rdf:li>{escape(metadata.author)}</rdf:li></rdf:Seq></dc:creator>")
    if metadata.subject:
        dc.append(f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(metadata.subject)}</rdf:li>'
                  "</rdf:Alt></dc:description>")
    if metadata.language:
        dc.append(f"<dc:language><rdf:Bag><rdf:li>{escape(metadata.language)}</rdf:li></rdf:Bag></dc:language>")
    creator_tool = f"<xmp:CreatorTool>{escape(metadata.creator)}</xmp:CreatorTool>" if metadata.creator else ""
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" '
        'pdfaid:part="3" pdfaid:conformance="B"/>\n'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        + "".join(dc) + "</rdf:Description>\n"
        '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        f"{creator_tool}<xmp:CreateDate>{created}</xmp:CreateDate><xmp:ModifyDate>{created}</xmp:ModifyDate>"
        f"<xmp:MetadataDate>{created}</xmp:MetadataDate></rdf:Description>\n"
        '<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">'
        f"<pdf:Producer>{PRODUCER}</pdf:Producer></rdf:Description>\n"
        "</rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="r"?>'
    )
    return packet.encode("utf-8")


def _uri(uri: str) -> str:
    """The URI as 7-bit ASCII, as a PDF URI action requires: an IRI's other characters percent-encoded."""
    return quote(uri, safe="".join(chr(c) for c in range(33, 127)))


def write_pdfa3b(pages: Sequence[PageCanvas], metadata: PdfMetadata, attachments: Sequence[PdfAttachment]) -> bytes:
    """The pages as a PDF/A-3b file with the attachments as associated files; identical input, identical bytes."""
    if not pages:
        raise ValueError("a PDF needs at least one page")
    names = [attachment.filename for attachment in attachments]
    if len(set(names)) != len(names):
        raise ValueError(f"attachment file names must be unique: {names}")

    pdf = pydyf.PDF()

    # Fonts are shared by all pages: one subset per font holds every glyph any page uses.
    usage: dict[FontProgram, dict[int, str]] = {}
    for page in pages:
        for font, glyph_ids in page._glyphs.items():
            merged = usage.setdefault(font, {})
            texts = page._texts[font]
            for glyph_id in glyph_ids:
                if not merged.get(glyph_id):  # the first non-empty text wins, in page order
                    merged[glyph_id] = texts.get(glyph_id, "")
    font_references = {font: _add_font(pdf, font, used) for font, used in usage.items()}

    image_references: dict[bytes, bytes] = {}
    for page in pages:
        resources = pydyf.Dictionary()
        if page._fonts:
            resources["Font"] = pydyf.Dictionary({name: font_references[font] for font, name in page._fonts.items()})
        if page._images:
            xobjects = pydyf.Dictionary()
            for digest, (name, image) in page._images.items():
                reference = image_references.get(digest)
                if reference is None:
                    xobject = image._xobject(pdf)
                    pdf.add_object(xobject)
                    reference = image_references[digest] = xobject.reference
                xobjects[name] = reference
            resources["XObject"] = xobjects
        content = _stream(page._content())
        pdf.add_object(content)
        page_dict = pydyf.Dictionary({
            "Type": "/Page",
            "Parent": pdf.pages.reference,
            "MediaBox": pydyf.Array([0, 0, _num(page.width), _num(page.height)]),
            "Resources": resources,
            "Contents": content.reference,
        })
        if page._links:
            annotations = pydyf.Array()
            for x1, y1, x2, y2, uri in page._links:
                annotation = pydyf.Dictionary({
                    "Type": "/Annot",
                    "Subtype": "/Link",
                    "Rect": pydyf.Array([_num(x1), _num(y1), _num(x2), _num(y2)]),
                    "A": pydyf.Dictionary({"Type": "/Action", "S": "/URI", "URI": pydyf.String(_uri(uri))}),
                    "F": 4,  # Print: PDF/A wants every annotation printable
                    "Border": pydyf.Array([0, 0, 0]),
                })
                pdf.add_object(annotation)
                annotations.append(annotation.reference)
            page_dict["Annots"] = annotations
        pdf.add_page(page_dict)

    # PDF/A-3 associated files (ISO 19005-3, 6.8): each in the EmbeddedFiles name tree and in the catalog's /AF.
    if attachments:
        tree = pydyf.Array()
        associated = pydyf.Array()
        for attachment in sorted(attachments, key=lambda item: item.filename):  # name tree keys are sorted
            moment = pydyf.String(_pdf_date(attachment.created))
            embedded = _stream(attachment.data, {
                "Type": "/EmbeddedFile",
                "Subtype": _name(attachment.media_type),
                "Params": pydyf.Dictionary({
                    "Size": len(attachment.data),
                    "CheckSum": "<" + hashlib.md5(attachment.data).hexdigest().upper() + ">",
                    "CreationDate": moment,
                    "ModDate": moment,
                }),
            })
            pdf.add_object(embedded)
            filename = pydyf.String(attachment.filename)
            spec = pydyf.Dictionary({
                "Type": "/Filespec",
                "F": filename,
                "UF": filename,
                "EF": pydyf.Dictionary({"F": embedded.reference, "UF": embedded.reference}),
                "Desc": pydyf.String(attachment.description),
                "AFRelationship": _name(attachment.relationship),
            })
            pdf.add_object(spec)
            tree.extend([filename, spec.reference])
            associated.append(spec.reference)
        pdf.catalog["Names"] = pydyf.Dictionary({"EmbeddedFiles": pydyf.Dictionary({"Names": tree})})
        pdf.catalog["AF"] = associated

    profile = SafeEndStream([_icc_profile()], {"N": 3, "Filter": "/FlateDecode"})
    pdf.add_object(profile)
    intent = pydyf.Dictionary({
        "Type": "/OutputIntent",
        "S": "/GTS_PDFA1",
        "OutputConditionIdentifier": pydyf.String("sRGB IEC61966-2.1"),
        "Info": pydyf.String("sRGB IEC61966-2.1"),
        "DestOutputProfile": profile.reference,
    })
    pdf.add_object(intent)
    pdf.catalog["OutputIntents"] = pydyf.Array([intent.reference])

    # PDF/A-2 and -3 forbid a Filter on the metadata stream (ISO 19005-3, 6.6.2.1).
    xmp = SafeEndStream([_xmp(metadata)], {"Type": "/Metadata", "Subtype": "/XML"})
    pdf.add_object(xmp)
    pdf.catalog["Metadata"] = xmp.reference
    if metadata.language:
        pdf.catalog["Lang"] = pydyf.String(metadata.language)

    # The Info dictionary agrees with the XMP entry for entry (ISO 19005-3, 6.6.2.3.1).
    if metadata.title:
        pdf.info["Title"] = pydyf.String(metadata.title)
    if metadata.author:
        pdf.info["Author"] = pydyf.String(metadata.author)
    if metadata.subject:
        pdf.info["Subject"] = pydyf.String(metadata.subject)
    if metadata.creator:
        pdf.info["Creator"] = pydyf.String(metadata.creator)
    pdf.info["Producer"] = pydyf.String(PRODUCER)
    created = pydyf.String(_pdf_date(metadata.created))
    pdf.info["CreationDate"] = created
    pdf.info["ModDate"] = created

    output = io.BytesIO()
    # identifier=True: both /ID strings are the MD5 of the objects' bytes, so the identifier follows the content.
    pdf.write(output, version=b"1.7", identifier=True)
    return output.getvalue()
