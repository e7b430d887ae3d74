"""The page a Europass wallet shows for an exported credential: a plain PNG rendered from the credential's facts.

ELM requires every EDC to carry its own display (`displayParameter` -> `individualDisplay` -> an image per
language). This draws one A4-landscape page with Pillow: heading, the volunteer's name (only when the credential
states one), the title, the facts, the competences and the verification link. Deterministic: the same card and
fonts give the same bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1280, 905  # A4 landscape at about 110 dpi
MARGIN = 80
INK, MUTED, ACCENT = (25, 31, 40), (90, 98, 110), (158, 27, 50)  # ACCENT: Latvian carmine
# DejaVu covers every Latvian letter; scripts/setup installs it (fonts-dejavu-core, also used by the PDFs).
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


@dataclass(frozen=True)
class DisplayCard:
    heading: str
    name: str | None
    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    competences_heading: str = ""
    competences: list[str] = field(default_factory=list)
    footer: str = ""


@lru_cache(maxsize=16)
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for directory in FONT_DIRS:
        if (directory / name).exists():
            return ImageFont.truetype(str(directory / name), size)
    return ImageFont.load_default(size)  # Pillow's own font: fewer letters, but a page all the same


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and draw.textlength(candidate, font=font) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines or [""]


def render_card(card: DisplayCard) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, WIDTH - 21, HEIGHT - 21), outline=ACCENT, width=6)
    width = WIDTH - 2 * MARGIN
    y = MARGIN

    def write(text: str, font, colour=INK, gap: int = 8, max_lines: int = 3) -> None:
        nonlocal y
        for line in _wrap(draw, text, font, width)[:max_lines]:
            draw.text((MARGIN, y), line, font=font, fill=colour)
            y += font.size + gap

    write(card.heading.upper(), _font(26, bold=True), ACCENT)
    y += 18
    if card.name:
        write(card.name, _font(44, bold=True), max_lines=2)
    write(card.title, _font(32, bold=not card.name), max_lines=2)
    y += 16
    for label, value in card.facts:
        write(f"{label}: {value}", _font(22), max_lines=2)
    if card.competences:
        y += 14
        write(card.competences_heading, _font(22, bold=True))
        for competence in card.competences[:8]:
            write(f"• {competence}", _font(20), MUTED, gap=6, max_lines=1)
        if len(card.competences) > 8:
            write(f"• … (+{len(card.competences) - 8})", _font(20), MUTED, gap=6, max_lines=1)
    footer_font = _font(18)
    draw.text((MARGIN, HEIGHT - MARGIN - footer_font.size), card.footer, font=footer_font, fill=MUTED)
    buffer = io.BytesIO()
    # A 32-colour palette keeps the antialiased text and a page to about 30 KB (a tenth of plain RGB).
    image.quantize(colors=32, method=Image.Quantize.FASTOCTREE).save(buffer, format="PNG")
    return buffer.getvalue()
