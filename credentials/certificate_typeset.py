"""The certificate set directly, without WeasyPrint: the same design, laid out by this module, about ten times faster.

WeasyPrint spends some 60 ms on a certificate, mostly Python work per box and per line of a general CSS engine; a
certificate is always the same dozen blocks. This module lays those blocks out the way `templates/certificate.html`
and `static/certificate.css` describe them (the stylesheet stays the reference: a test compares the position of
every word with WeasyPrint's), shapes the text with HarfBuzz (the shaper Pango uses, so glyphs and advances agree)
and draws into `certificate_pdf`, a small PDF/A-3b writer.

It sets what it can set faithfully: one or two pages, cut where WeasyPrint cuts them, the bundled fonts covering
every character, long words in one style. Anything else (a third page, a paragraph split between pages, a fallback
font) raises `NotTypesettable`, and the caller renders with WeasyPrint. SVG images come drawn by WeasyPrint (once
per image) as PDF forms.

Lengths are in points; the CSS's millimetres are converted where they are defined.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import uharfbuzz as hb

from credentials.certificate_pdf import (
    FontProgram,
    PageCanvas,
    PdfAttachment,
    PdfForm,
    PdfImage,
    PdfMetadata,
    write_pdfa3b,
)

if TYPE_CHECKING:  # the renderer module imports this one
    from credentials.certificate import CertificateData, _CompetenceGroup, _Languages

MM = 72 / 25.4
FONTS = Path(__file__).resolve().parent / "static" / "fonts"


class NotTypesettable(Exception):
    """The certificate needs something only WeasyPrint does (a third page, a paragraph split between pages, a
    fallback font, a long word in two styles). The message names the reason, never the text (it may be personal
    data)."""


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    return tuple(int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


# The stylesheet's colours
INK, MUTED, NAVY, GOLD, RULE = (_rgb(c) for c in ("#1f2933", "#5b6675", "#1c3553", "#9a7b3f", "#d9d3c4"))

# @page: A4, margins 13/13/15/13 mm, a 3 pt double border, padding 11/13/9/13 mm
PAGE_WIDTH, PAGE_HEIGHT = 210 * MM, 297 * MM
BORDER = 3.0
BORDER_LEFT, BORDER_TOP = 13 * MM, 13 * MM
BORDER_RIGHT, BORDER_BOTTOM = PAGE_WIDTH - 13 * MM, PAGE_HEIGHT - 15 * MM
CONTENT_LEFT = BORDER_LEFT + BORDER + 13 * MM
CONTENT_TOP = BORDER_TOP + BORDER + 11 * MM
CONTENT_WIDTH = BORDER_RIGHT - BORDER - 13 * MM - CONTENT_LEFT
CONTENT_BOTTOM = BORDER_BOTTOM - BORDER - 9 * MM
RULE_WIDTH = 0.6


class Fonts:
    """The four bundled faces, loaded once per process."""

    _lock = threading.Lock()
    _loaded: "Fonts | None" = None

    def __init__(self):
        self.serif = FontProgram(FONTS / "EBGaramond12-Regular.ttf")
        self.serif_italic = FontProgram(FONTS / "EBGaramond12-Italic.ttf")
        self.sans = FontProgram(FONTS / "Lato-Regular.ttf")
        self.sans_bold = FontProgram(FONTS / "Lato-Bold.ttf")

    @classmethod
    def load(cls) -> "Fonts":
        with cls._lock:
            if cls._loaded is None:
                cls._loaded = cls()
            return cls._loaded


@dataclass(frozen=True)
class Style:
    """What CSS computes for a run of text: face, size, colour, line-height (a factor, as the stylesheet gives it),
    letter-spacing (points) and uppercase."""

    font: FontProgram
    size: float
    color: tuple[float, float, float] = INK
    line_height: float = 1.4
    letter_spacing: float = 0.0
    upper: bool = False

    def but(self, **changes) -> "Style":
        return replace(self, **changes)

    def strut(self) -> tuple[float, float]:
        """(above, below) the baseline of this style's line-height box (CSS half-leading model)."""
        scale = self.size / self.font.upem
        ascent, descent = self.font.ascender * scale, -self.font.descender * scale
        height = self.size * self.line_height
        above = (height - (ascent + descent)) / 2 + ascent
        return above, height - above


# --- shaping -------------------------------------------------------------------------------------------------------

Glyphs = tuple[tuple[int, float, str], ...]  # (glyph id, advance in points, text) as `PageCanvas.text` takes them

_NO_LIGATURES = {"liga": False, "clig": False, "dlig": False}


class _Shaper:
    """Shapes words with HarfBuzz, keeping recent results: most words of a batch's certificates are the same."""

    def __init__(self, limit: int = 20_000):
        self.cache: OrderedDict[tuple, tuple[Glyphs, float]] = OrderedDict()
        self.limit = limit
        self.lock = threading.Lock()

    def shape(self, text: str, style: Style) -> tuple[Glyphs, float]:
        key = (text, style.font.path, style.size, style.letter_spacing)
        with self.lock:
            hit = self.cache.get(key)
        if hit is not None:
            return hit
        font = style.font
        missing = [ch for ch in text if ord(ch) not in font.unicodes]
        if missing:
            raise NotTypesettable("a character the bundled fonts lack")
        buffer = hb.Buffer()
        buffer.add_str(text)
        buffer.guess_segment_properties()
        if buffer.direction != "ltr":
            raise NotTypesettable("right-to-left or vertical text")
        # Pango (and so WeasyPrint) turns optional ligatures off when letters are spaced.
        hb.shape(font.font, buffer, _NO_LIGATURES if style.letter_spacing else {})
        infos, positions = buffer.glyph_infos, buffer.glyph_positions
        scale = style.size / font.upem
        # The text each glyph stands for: a cluster's characters go to its first glyph.
        starts = [info.cluster for info in infos]
        ends = sorted(set(starts)) + [len(text)]
        next_start = {start: ends[i + 1] for i, start in enumerate(ends[:-1])}
        glyphs, width, seen = [], 0.0, set()
        for info, position in zip(infos, positions):
            first = info.cluster not in seen
            seen.add(info.cluster)
            advance = position.x_advance * scale + (style.letter_spacing if first else 0.0)
            glyphs.append((info.codepoint, advance, text[info.cluster:next_start[info.cluster]] if first else ""))
            width += advance
        result = (tuple(glyphs), width)
        with self.lock:
            self.cache[key] = result
            while len(self.cache) > self.limit:
                self.cache.popitem(last=False)
        return result


_shaper = _Shaper()


# --- paragraphs ----------------------------------------------------------------------------------------------------


@dataclass
class _Piece:
    text: str
    style: Style
    glyphs: Glyphs = ()
    width: float = 0.0


@dataclass
class _Word:
    pieces: list[_Piece]
    space_before: _Piece | None  # the collapsed space in front of it, if any
    forced_break_before: bool = False

    @property
    def width(self) -> float:
        return sum(piece.width for piece in self.pieces)


@dataclass
class Line:
    pieces: list[tuple[float, _Piece]]  # x from the line's start
    width: float
    above: float  # baseline below the line box's top
    height: float


@dataclass
class Paragraph:
    """A block of text laid out in lines: `lines`, `height`, and where it starts once placed."""

    lines: list[Line]
    width: float
    align: str
    link: str | None = None
    x: float = 0.0
    y: float = 0.0

    @property
    def height(self) -> float:
        return sum(line.height for line in self.lines)

    @property
    def max_line_width(self) -> float:
        return max((line.width for line in self.lines), default=0.0)

    def place(self, x: float, y: float) -> "Paragraph":
        self.x, self.y = x, y
        return self

    def draw(self, canvas: PageCanvas) -> None:
        top = self.y
        for line in self.lines:
            spare = self.width - line.width
            offset = {"left": 0.0, "center": spare / 2, "right": spare}[self.align]
            baseline = top + line.above
            for x, piece in line.pieces:
                if piece.glyphs:
                    style = piece.style
                    canvas.text(self.x + offset + x, baseline, style.font, style.size, style.color, piece.glyphs,
                                style.letter_spacing)
            if self.link and line.width:
                canvas.link(self.x + offset, top, line.width, line.height, self.link)
            top += line.height


def _add_piece(current: _Word | None, piece: _Piece, words: list[_Word], space: _Piece | None,
               forced_break: bool) -> _Word:
    """`piece` appended to the word being read, or starting a new one after `space` (none at a paragraph's start
    or after a line feed)."""
    if current is None:
        current = _Word([], space if words and not forced_break else None, forced_break)
    current.pieces.append(piece)
    return current


def _words(runs: Sequence[tuple[str, Style]], pre_line: bool) -> list[_Word]:
    """Runs of styled text as words, with white space collapsed the CSS way (`normal`, or `pre-line` keeping line
    feeds as forced breaks). A word may span runs ("reference" + ":" in two styles)."""
    words: list[_Word] = []
    pending_space: _Piece | None = None
    pending_break = False
    current: _Word | None = None
    for text, style in runs:
        if style.upper:
            text = text.upper()
        token = ""
        for ch in text:
            if ch not in " \t\n\r":
                token += ch
                continue
            if token:
                current = _add_piece(current, _Piece(token, style), words, pending_space, pending_break)
                pending_space, pending_break, token = None, False, ""
            if current is not None:
                words.append(current)
                current = None
            if ch == "\n" and pre_line:
                pending_break, pending_space = True, None
            elif not pending_break:
                pending_space = _Piece(" ", style)
        if token:  # the word may go on in the next run
            current = _add_piece(current, _Piece(token, style), words, pending_space, pending_break)
            pending_space, pending_break = None, False
    if current is not None:
        words.append(current)
    for word in words:
        for piece in word.pieces:
            piece.glyphs, piece.width = _shaper.shape(piece.text, piece.style)
        if word.space_before is not None:
            space = word.space_before
            space.glyphs, space.width = _shaper.shape(" ", space.style)
    return words


def _break_word(word: _Word, width: float) -> list[_Word]:
    """A word wider than its line, cut as WeasyPrint (Pango) cuts it under `overflow-wrap`: after a slash, or a
    hyphen followed by a letter, if that fits, else after the last character that fits. Single-style words only."""
    (piece,) = word.pieces
    text, parts = piece.text, []
    fits = lambda candidate: _shaper.shape(candidate, piece.style)[1] <= width + 0.01  # noqa: E731
    while text:
        if fits(text):
            parts.append(text)
            break
        cut = next((index for index in range(len(text) - 1, 0, -1)
                    if (text[index - 1] == "/" or text[index - 1] == "-" and not text[index].isdigit())
                    and fits(text[:index])), None)
        if cut is None:
            cut = next((index for index in range(len(text) - 1, 0, -1) if fits(text[:index])), 1)
        parts.append(text[:cut])
        text = text[cut:]
    words = []
    for index, part in enumerate(parts):
        glyphs, advance = _shaper.shape(part, piece.style)
        words.append(_Word([_Piece(part, piece.style, glyphs, advance)],
                           word.space_before if index == 0 else None,
                           word.forced_break_before if index == 0 else True))
    return words


def _shaped_width(words: list[_Word]) -> float:
    """A line's width as the line breaker of WeasyPrint (Pango) measures it: each run of one face, size and
    spacing shaped as a whole, so that kerning across the spaces counts. Words are shaped one by one (and cached);
    this is asked only when a line is within a couple of points of full."""
    runs: list[tuple[str, Style]] = []
    for index, word in enumerate(words):
        pieces = ([word.space_before] if index and word.space_before is not None else []) + word.pieces
        for piece in pieces:
            style = piece.style
            if runs and (runs[-1][1].font, runs[-1][1].size, runs[-1][1].letter_spacing) == (
                    style.font, style.size, style.letter_spacing):
                runs[-1] = (runs[-1][0] + piece.text, runs[-1][1])
            else:
                runs.append((piece.text, style))
    return sum(_shaper.shape(text, style)[1] for text, style in runs)


def paragraph(runs: Sequence[tuple[str, Style]], width: float, strut: Style, align: str = "left",
              pre_line: bool = False, link: str | None = None) -> Paragraph:
    """Lays runs out in lines of `width`, breaking at spaces (and line feeds with `pre_line`); a word wider than
    the line is cut (`overflow-wrap`). `strut` is the block's own style: its line-height box sits on every line,
    as CSS has it."""
    words = _words(runs, pre_line)
    lines: list[list[_Word]] = []
    line: list[_Word] = []
    used = 0.0
    queue = deque(words)
    while queue:
        word = queue.popleft()
        space = word.space_before.width if (line and word.space_before is not None) else 0.0
        wanted = used + space + word.width
        if line and not word.forced_break_before and (
                wanted <= width + 0.01 if abs(wanted - width) > 2 else _shaped_width(line + [word]) <= width + 0.01):
            line.append(word)
            used += space + word.width
            continue
        if line:
            lines.append(line)
            line, used = [], 0.0
        if word.width > width + 0.01:
            if len(word.pieces) != 1:
                raise NotTypesettable("a word in two styles wider than its line")
            word, *rest = _break_word(word, width)
            queue.extendleft(reversed(rest))
        line = [word]
        used = word.width
    if line:
        lines.append(line)
    strut_above, strut_below = strut.strut()
    laid: list[Line] = []
    for words_of_line in lines:
        pieces: list[tuple[float, _Piece]] = []
        x = 0.0
        above, below = strut_above, strut_below
        for index, word in enumerate(words_of_line):
            if index and word.space_before is not None:
                pieces.append((x, word.space_before))
                x += word.space_before.width
                a, b = word.space_before.style.strut()
                above, below = max(above, a), max(below, b)
            for piece in word.pieces:
                pieces.append((x, piece))
                x += piece.width
                a, b = piece.style.strut()
                above, below = max(above, a), max(below, b)
        laid.append(Line(pieces, x, above, above + below))
    return Paragraph(laid, width, align, link)


# --- the design ----------------------------------------------------------------------------------------------------


@dataclass
class _Block:
    """Where a block of the page's flow starts: the y its top margin starts at, the margin, whether it is a
    paragraph (lines that could be split between pages) or a row of inline blocks (moves whole), whether a page
    may not break after it (`break-after: avoid`), and how many of each drawn thing came before it."""

    y: float
    margin: float
    text: bool
    keep_with_next: bool
    counts: tuple[int, int, int]
    # Padding and border below the content: WeasyPrint 70 counts them twice when it checks that a block fits
    # (once in the block's height, once more as space to keep free), so a block fits when its bottom plus these
    # stays on the page.
    below: float = 0.0


@dataclass
class _Drawing:
    """What the flow holds, placed: paragraphs, rules, images, and where each block starts."""

    paragraphs: list[Paragraph] = field(default_factory=list)
    rules: list[tuple[float, float, float, tuple]] = field(default_factory=list)  # x, y (top), width, colour
    images: list[tuple[float, float, float, float, PdfImage | PdfForm]] = field(default_factory=list)
    blocks: list[_Block] = field(default_factory=list)
    bottom: float = 0.0

    def text(self, block: Paragraph, x: float, y: float) -> float:
        self.paragraphs.append(block.place(x, y))
        return y + block.height

    def rule(self, x: float, y: float, width: float, colour=RULE) -> float:
        self.rules.append((x, y, width, colour))
        return y + RULE_WIDTH

    def block(self, y: float, margin: float, text: bool = True, keep_with_next: bool = False,
              below: float = 0.0) -> float:
        """Marks the start of a block of the flow (a child of the body); returns where its border box starts."""
        self.blocks.append(_Block(y, margin, text, keep_with_next,
                                  (len(self.paragraphs), len(self.rules), len(self.images)), below))
        return y + margin

    def pages(self) -> list["_Drawing"]:
        """The flow cut into pages as WeasyPrint cuts it: before the first block that does not fit, or before the
        block it is kept with; the block starts the next page with its top margin truncated. A paragraph of four
        lines or more that does not fit would be split between its lines (orphans and widows of two): that, or
        a third page, is left to WeasyPrint."""
        if self.bottom <= CONTENT_BOTTOM + 0.01:
            return [self]
        ends = [block.y for block in self.blocks[1:]] + [self.bottom]
        index = next(i for i, (block, end) in enumerate(zip(self.blocks, ends))
                     if end + block.below > CONTENT_BOTTOM + 0.01)
        if self.blocks[index].text and self._lines(index) >= 4:
            raise NotTypesettable("a paragraph split between pages")
        while index > 0 and self.blocks[index - 1].keep_with_next:
            index -= 1
        if index == 0:
            raise NotTypesettable("a block taller than a page")
        cut = self.blocks[index]
        shift = CONTENT_TOP - (cut.y + cut.margin)
        if self.bottom + shift > CONTENT_BOTTOM + 0.01:
            raise NotTypesettable("more than two pages")
        paragraphs, rules, images = cut.counts
        first = _Drawing(self.paragraphs[:paragraphs], self.rules[:rules], self.images[:images])
        second = _Drawing(
            [block.place(block.x, block.y + shift) for block in self.paragraphs[paragraphs:]],
            [(x, y + shift, width, colour) for x, y, width, colour in self.rules[rules:]],
            [(x, y + shift, width, height, image) for x, y, width, height, image in self.images[images:]])
        return [first, second]

    def _lines(self, index: int) -> int:
        start = self.blocks[index].counts[0]
        end = self.blocks[index + 1].counts[0] if index + 1 < len(self.blocks) else len(self.paragraphs)
        return sum(len(block.lines) for block in self.paragraphs[start:end])


def _replaced_size(width_px: int, height_px: int, max_width: float, max_height: float) -> tuple[float, float]:
    """An image's used size with auto width and height under max-width and max-height (CSS 2.1, 10.4), from its
    intrinsic size in CSS pixels (0.75 pt)."""
    width, height = width_px * 0.75, height_px * 0.75
    if width > max_width or height > max_height:
        scale = min(max_width / width, max_height / height)
        width, height = width * scale, height * scale
    return width, height


class _Styles:
    """The stylesheet's rules as `Style`s (sizes in points, letter-spacing in ems times the size)."""

    def __init__(self, fonts: Fonts):
        base = self.base = Style(fonts.sans, 10)
        self.issuer_name = Style(fonts.serif, 15, NAVY, 1.2)
        self.reg = base.but(size=8, color=MUTED, letter_spacing=0.06 * 8)
        self.title = Style(fonts.serif, 30, NAVY, 1.1, 0.12 * 30, upper=True)
        self.subtitle = Style(fonts.serif_italic, 14, MUTED)
        self.heading_en = base.but(size=8, color=MUTED, letter_spacing=0.2 * 8, upper=True)
        self.intro = base.but(size=9.5, color=MUTED, letter_spacing=0.02 * 9.5)
        self.volunteer = Style(fonts.serif, 28, INK, 1.15)
        self.anonymous = self.volunteer.but(size=22)
        self.reference = base.but(size=8.5, color=MUTED)
        self.reference_code = self.reference.but(font=fonts.sans_bold, color=INK, letter_spacing=0.05 * 8.5)
        self.mission = Style(fonts.serif_italic, 17, NAVY, 1.25)
        self.role = base.but(size=9.5, color=MUTED)
        self.role_value = self.role.but(font=fonts.sans_bold, color=INK)
        self.fact = base.but(line_height=1.3)
        self.fact_en = self.fact.but(size=8.5, color=MUTED)
        self.label = base.but(font=fonts.sans_bold, size=7, color=GOLD, line_height=1.35, letter_spacing=0.07 * 7,
                              upper=True)
        self.label_en = self.label.but(font=fonts.sans, color=MUTED)
        self.number = Style(fonts.serif, 22, NAVY, 1.0)
        self.h2 = Style(fonts.serif, 14, NAVY)
        self.note = base.but(size=7.5, color=MUTED)
        self.h3 = self.label.but(size=6.8, letter_spacing=0.07 * 6.8)
        self.h3_en = self.h3.but(font=fonts.sans, color=MUTED)
        self.item = base.but(size=9.5, line_height=1.45)
        self.item_en = self.item.but(size=8.5, color=MUTED)
        self.signatory = base.but(font=fonts.sans_bold)
        self.small = base.but(size=8.5)
        self.position = self.small.but(color=MUTED)
        self.how_heading = base.but(font=fonts.sans_bold, size=8.5, color=NAVY)
        self.how_text = base.but(size=7, line_height=1.3, color=MUTED)
        self.url = base.but(size=7.5, color=NAVY)
        # The page's margin boxes: the `font` shorthand of @page resets line-height to `normal`, which Pango
        # makes the font's ascent plus descent (without the line gap).
        self.footer = Style(fonts.sans, 7.5, MUTED, (fonts.sans.ascender - fonts.sans.descender) / fonts.sans.upem)

    @staticmethod
    def en(style: Style) -> Style:
        """The `.en` rule: the second language in the muted colour."""
        return style.but(color=MUTED)


class CertificateTypesetter:
    """Lays out and writes certificates; one per process (the fonts are loaded once, shaped words are kept)."""

    def __init__(self):
        self.fonts = Fonts.load()
        self.styles = _Styles(self.fonts)

    def _sized(self, picture, max_width: float, max_height: float) -> tuple:
        """(what to draw, its size): a raster `Image` sized by the stylesheet's limits, or a `PdfForm`, which
        WeasyPrint drew at its size on the certificate."""
        if isinstance(picture, PdfForm):
            return picture, (picture.width, picture.height)
        image = PdfImage.from_bytes(picture.data, picture.media_type)  # decoded once, kept by content
        return image, _replaced_size(image.width, image.height, max_width, max_height)

    def render(self, data: "CertificateData", languages: "_Languages", groups: "list[_CompetenceGroup]",
               qr_picture, logo, signature, hours: str) -> bytes:
        """The certificate as PDF/A-3b bytes; `logo` and `signature` are prepared raster `Image`s, `PdfForm`s (SVG
        drawn by WeasyPrint at their size on the certificate) or None."""
        pages = self._lay_out(data, languages, groups, qr_picture, logo, signature, hours).pages()
        canvases = []
        for number, drawing in enumerate(pages, 1):
            canvas = PageCanvas(PAGE_WIDTH, PAGE_HEIGHT)
            self._draw_border(canvas)
            for x, y, width, colour in drawing.rules:
                canvas.line(x, y + RULE_WIDTH / 2, x + width, y + RULE_WIDTH / 2, RULE_WIDTH, colour)
            for x, y, width, height, image in drawing.images:
                canvas.image(x, y, width, height, image)
            for block in drawing.paragraphs:
                block.draw(canvas)
            self._draw_margin_boxes(canvas, data, languages, number, len(pages))
            canvases.append(canvas)
        issued = datetime.combine(data.issue_date, time(0, 0), tzinfo=timezone.utc)
        name = data.volunteer_name or languages.plain("certificate.volunteer")
        metadata = PdfMetadata(
            title=f"{languages.plain('certificate.document_title')} – {name}",
            author=data.organisation_name, subject=data.mission_title, creator="volunteer-credentials",
            created=issued, language=languages.primary)
        attachment = PdfAttachment(
            filename="credential.json", data=data.credential_bytes(), media_type="application/json",
            description=languages.plain("certificate.attachment_description"), created=issued)
        return write_pdfa3b(canvases, metadata, [attachment])

    # -- texts in the certificate's language(s) --

    def _pair(self, lv: str, en: str, style: Style, en_style: Style, languages: "_Languages",
              block: bool = False) -> list[list[tuple[str, Style]]]:
        """Like the template's `pair`: paragraphs (lists of runs). Bilingual: the English after a slash in
        `en_style`, or (`block`) as a paragraph of its own."""
        if languages.mode == "bilingual":
            if block:
                return [[(lv, style)], [(en, en_style)]]
            return [[(lv, style), (" / " + en, en_style)]]
        return [[(lv if languages.mode == "lv" else en, style)]]

    def _t(self, key: str, style: Style, en_style: Style, languages: "_Languages", block: bool = False):
        text = languages.catalogue.text(key)
        return self._pair(text.lv, text.en, style, en_style, languages, block)

    @staticmethod
    def _stack(drawing: _Drawing, blocks: list[list[tuple[str, Style]]], x: float, y: float, width: float,
               align: str = "left", **options) -> float:
        for runs in blocks:
            y = drawing.text(paragraph(runs, width, runs[0][1], align, **options), x, y)
        return y

    def _lay_out(self, data, languages, groups, qr_picture, logo, signature, hours) -> _Drawing:
        """The flow's blocks top to bottom, as the template orders them, on one page as tall as need be."""
        drawing = _Drawing()
        y = self._issuer(drawing, data, languages, logo, CONTENT_TOP)
        y = self._heading(drawing, data, languages, y)
        y = self._facts(drawing, data, languages, hours, y)
        if groups:
            y = self._competences(drawing, groups, languages, y)
        drawing.bottom = self._closing(drawing, data, languages, qr_picture, signature, y)
        return drawing

    def _issuer(self, drawing: _Drawing, data, languages, logo, y: float) -> float:
        """Logo and name side by side, centred (inline blocks, vertical-align: middle), over a gold rule. When the
        two do not fit on one line, the name goes to a line of its own under the logo, as inline blocks wrap."""
        st, left, width = self.styles, CONTENT_LEFT, CONTENT_WIDTH
        reg = self._t("certificate.reg_no", st.reg, st.en(st.reg), languages)
        reg[-1] = reg[-1] + [(" " + data.organisation_reg_no, st.reg)]
        name_runs = [(data.organisation_name, st.issuer_name)]
        natural = max(paragraph(runs, 1e6, runs[0][1]).max_line_width for runs in [name_runs] + reg)
        text_width = min(natural, 125 * MM)  # shrink-to-fit under max-width
        text_align = "left" if logo is not None else "center"  # `.issuer-text:first-child` centres
        name_block = paragraph(name_runs, text_width, st.issuer_name, text_align)
        reg_blocks = [paragraph(runs, text_width, st.reg, text_align) for runs in reg]
        text_height = name_block.height + 1 * MM + sum(block.height for block in reg_blocks)

        def place_text(x: float, top: float) -> None:
            top = drawing.text(name_block, x, top) + 1 * MM
            for block in reg_blocks:
                top = drawing.text(block, x, top)

        # Each line's boxes: (width with margins, height, draws it at (x, top)); logo's margin-right is 5 mm.
        text_box = (text_width, text_height, place_text)
        lines = [[text_box]]
        if logo is not None:
            logo_image, (logo_width, logo_height) = self._sized(logo, 45 * MM, 16 * MM)
            logo_box = (logo_width + 5 * MM, logo_height,
                        lambda x, top: drawing.images.append((x, top, logo_width, logo_height, logo_image)))
            fits = logo_width + 5 * MM + text_width <= width + 0.01
            lines = [[logo_box, text_box]] if fits else [[logo_box], [text_box]]
        # vertical-align: middle puts a box's middle half an x-height above the line's baseline
        strut_above, strut_below = st.base.strut()
        middle = strut_above - st.base.font.x_height * st.base.size / st.base.font.upem / 2
        drawing.block(y, 0, text=False, below=5 * MM + RULE_WIDTH)
        for boxes in lines:
            top = min([0.0] + [middle - height / 2 for _, height, _ in boxes])
            bottom = max([strut_above + strut_below] + [middle + height / 2 for _, height, _ in boxes])
            x = left + (width - sum(box_width for box_width, _, _ in boxes)) / 2
            for box_width, height, draw in boxes:
                draw(x, y + middle - height / 2 - top)
                x += box_width
            y += bottom - top
        return drawing.rule(left, y + 5 * MM, width, GOLD)

    def _heading(self, drawing: _Drawing, data, languages, y: float) -> float:
        """Title, volunteer and mission, centred."""
        st, left, width = self.styles, CONTENT_LEFT, CONTENT_WIDTH
        text = languages.catalogue.get

        def centred(blocks, y: float, margin: float, inset: float = 0.0) -> float:
            return self._stack(drawing, blocks, left + inset, drawing.block(y, margin), width - 2 * inset, "center")

        y = centred([[(text("certificate.title", languages.primary), st.title)]], y, 4.5 * MM)
        y = centred([[(text("certificate.subtitle", languages.primary), st.subtitle)]], y, 1.5 * MM)
        if languages.mode == "bilingual":
            y = centred([[(text("certificate.document_title", "en"), st.heading_en)]], y, 2 * MM)
        y = centred(self._t("certificate.intro", st.intro, st.en(st.intro), languages), y, 5 * MM)
        if data.volunteer_name:
            name_blocks = [[(data.volunteer_name, st.volunteer)]]
        else:
            name_blocks = self._t("certificate.volunteer", st.anonymous, st.en(st.anonymous), languages)
        y = centred(name_blocks, y, 2.5 * MM)
        if data.pseudonymous and data.volunteer_reference:
            reference = self._t("certificate.pseudonymous_reference", st.reference, st.en(st.reference), languages)
            reference[-1] = reference[-1] + [(": ", st.reference), (data.volunteer_reference, st.reference_code)]
            y = centred(reference, y, 2.5 * MM - 1 * MM)  # the name's bottom margin collapses with this one's
        y = centred(self._t("certificate.carried_out", st.intro, st.en(st.intro), languages), y, 2.5 * MM)
        y = centred([[(data.mission_title, st.mission)]], y, 2 * MM, inset=8 * MM)
        if data.role:
            role = self._t("certificate.role", st.role, st.en(st.role), languages)
            role[-1] = role[-1] + [(": ", st.role), (data.role, st.role_value)]
            y = centred(role, y, 1.5 * MM, inset=8 * MM)
        return y

    def _facts(self, drawing: _Drawing, data, languages, hours: str, y: float) -> float:
        """Four labelled values side by side (inline blocks of fixed widths) between two rules."""
        st, left, width = self.styles, CONTENT_LEFT, CONTENT_WIDTH
        above = 5.5 * MM if data.role else 7 * MM  # `.role + .facts`
        y = drawing.rule(left, drawing.block(y, above, text=False, below=2.5 * MM + RULE_WIDTH), width) + 2.5 * MM
        period = f"{languages.date(data.start_date)} – {languages.date(data.end_date)}"
        facts = [
            (0.33, "certificate.mission_type",
             self._pair(data.mission_type_lv, data.mission_type_en, st.fact, st.fact_en, languages, block=True)),
            (0.18, "certificate.municipality", [[(data.municipality, st.fact)]]),
            (0.31, "certificate.period", [[(period, st.fact)]]),
            (0.18, "certificate.hours", [[(hours, st.number)]]),
        ]
        x, row = left, sum(st.base.strut())
        for index, (share, key, value) in enumerate(facts):
            inner = share * width - (4 * MM if index < len(facts) - 1 else 0)  # padding-right, box-sizing
            bottom = self._stack(drawing, self._t(key, st.label, st.label_en, languages, block=True), x, y, inner)
            bottom = self._stack(drawing, value, x, bottom + 1.2 * MM, inner)
            row = max(row, bottom - y)
            x += share * width
        return drawing.rule(left, y + row + 2.5 * MM, width)

    def _competences(self, drawing: _Drawing, groups, languages, y: float) -> float:
        """A heading, a note, then one row per key competence: its name left, the competences right."""
        st, left, width = self.styles, CONTENT_LEFT, CONTENT_WIDTH
        y = self._stack(drawing, self._t("certificate.competences", st.h2, st.en(st.h2), languages), left,
                        drawing.block(y, 6 * MM, keep_with_next=True), width)  # break-after: avoid
        y = self._stack(drawing, self._t("certificate.competences_note", st.note, st.en(st.note), languages),
                        left, drawing.block(y, 0.5 * MM), width)
        for index, group in enumerate(groups):
            below = 1.6 * MM + RULE_WIDTH
            if index == 0:  # `.note + .group`: a margin and a rule above
                y = drawing.rule(left, drawing.block(y, 2.5 * MM, text=False, below=below), width)
            else:
                y = drawing.block(y, 0, text=False, below=below)
            y += 1.6 * MM
            heading_bottom = self._stack(
                drawing, self._pair(group.label_lv, group.label_en, st.h3, st.h3_en, languages, block=True),
                left, y + 0.6 * MM, 0.36 * width - 5 * MM)
            runs: list[tuple[str, Style]] = []
            for index, competence in enumerate(group.competences):
                if index:
                    runs.append(("\n", st.item))
                (pair,) = self._pair(competence.label_lv, competence.label_en, st.item, st.item_en, languages)
                runs.extend(pair)
                if competence.attested_by == "self":
                    runs.append((" *", st.item))
            list_bottom = drawing.text(paragraph(runs, 0.64 * width, st.item, pre_line=True), left + 0.36 * width, y)
            y = drawing.rule(left, max(heading_bottom, list_bottom, y + sum(st.base.strut())) + 1.6 * MM, width)
        if any(c.attested_by == "self" for group in groups for c in group.competences):
            (self_note,) = self._t("certificate.self_attested_note", st.note, st.en(st.note), languages)
            y = self._stack(drawing, [[("* ", st.note)] + self_note], left, drawing.block(y, 2 * MM), width)
        return y

    def _closing(self, drawing: _Drawing, data, languages, qr_picture, signature, y: float) -> float:
        """Signature, QR code and how to verify (inline blocks, vertical-align: top); returns the bottom."""
        st, left, width = self.styles, CONTENT_LEFT, CONTENT_WIDTH
        y = drawing.block(y, 6 * MM, text=False)
        signature_width, space = 0.31 * width, 14 * MM
        if signature is not None:
            signature_image, size = self._sized(signature, 55 * MM, 13 * MM)
            drawing.images.append((left + 2 * MM, y + space - 0.5 * MM - size[1], *size, signature_image))
        column = drawing.rule(left, y + space, signature_width, INK)
        column = self._stack(drawing, [[(data.signatory_name, st.signatory)]], left, column + 1.5 * MM,
                             signature_width)
        column = self._stack(drawing, [[(data.signatory_position, st.position)]], left, column, signature_width)
        issued = self._t("certificate.issue_date", st.small, st.en(st.small), languages)
        issued[-1] = issued[-1] + [(": " + languages.date(data.issue_date), st.small)]
        bottom = self._stack(drawing, issued, left, column + 2.5 * MM, signature_width)
        x = left + signature_width + 8 * MM
        drawing.images.append((x, y, 27 * MM, 27 * MM, PdfImage.from_pil(qr_picture)))
        x += 27 * MM + 4 * MM
        how_width = 0.69 * width - 39 * MM
        column = self._stack(drawing, self._t("certificate.verify_heading", st.how_heading,
                                              st.en(st.how_heading), languages, True), x, y, how_width)
        column = self._stack(drawing, self._t("certificate.verify_howto", st.how_text, st.how_text, languages, True),
                             x, column + 0.8 * MM, how_width)
        column = drawing.text(paragraph([(data.verify_url, st.url)], how_width, st.url, link=data.verify_url), x,
                              column + 1.2 * MM)
        return max(bottom, y + 27 * MM, column, y + sum(st.base.strut()))

    @staticmethod
    def _draw_border(canvas: PageCanvas) -> None:
        """The page's double border: two lines of a third of its width each."""
        third = BORDER / 3
        for inset in (third / 2, BORDER - third / 2):
            canvas.rectangle(BORDER_LEFT + inset, BORDER_TOP + inset, BORDER_RIGHT - BORDER_LEFT - 2 * inset,
                             BORDER_BOTTOM - BORDER_TOP - 2 * inset, third, NAVY)

    def _draw_margin_boxes(self, canvas: PageCanvas, data, languages, number: int, count: int) -> None:
        """The page's margin boxes: at the foot the credential's id and catalogue version and the page number; on
        pages after the first, whose certificate this is (bottom-aligned above the border)."""
        style = self.styles.footer
        text = (f"{languages.plain('certificate.credential_id')}: {data.credential_id} · "
                f"{languages.plain('certificate.catalogue_version')} {data.catalogue_version}")
        top = BORDER_BOTTOM + 2.5 * MM
        boxes = [(paragraph([(text, style)], 170 * MM, style), BORDER_LEFT, top),
                 (paragraph([(f"{number}/{count}", style)], 14 * MM, style, "right"), BORDER_RIGHT - 14 * MM, top)]
        if number > 1:
            name = data.volunteer_name or languages.plain("certificate.volunteer")
            for text, x, align in ((data.organisation_name, BORDER_LEFT, "left"),
                                   (f"{name} · {languages.plain('certificate.continued')}",
                                    BORDER_RIGHT - 92 * MM, "right")):
                block = paragraph([(text, style)], 92 * MM, style, align)
                boxes.append((block, x, BORDER_TOP - 2.5 * MM - block.height))
        for block, x, y in boxes:
            block.place(x, y).draw(canvas)
