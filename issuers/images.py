"""Logos and signature images: size-limited, of a known type, and SVGs stripped of anything that can run or fetch."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from base.errors import UserError

MAX_IMAGE_BYTES = 512 * 1024
MAX_PIXELS = 4000 * 4000
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"

# Elements a logo may use; everything else (script, foreignObject, iframe, animation, external use) goes.
SVG_ELEMENTS = {
    "svg",
    "g",
    "defs",
    "title",
    "desc",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "textPath",
    "linearGradient",
    "radialGradient",
    "stop",
    "clipPath",
    "mask",
    "pattern",
    "symbol",
    "use",
    "image",
    "style",
    "filter",
    "feGaussianBlur",
    "feOffset",
    "feBlend",
    "feColorMatrix",
    "feMerge",
    "feMergeNode",
    "feFlood",
    "feComposite",
    "marker",
    "metadata",
}


# CSS functions a logo's styles and presentation attributes may use; any other (image-set, image, cross-fade, src,
# expression, element, ...) may fetch or run something, and url() may point only inside the document (#id).
SAFE_CSS_FUNCTIONS = {
    "url",
    "rgb",
    "rgba",
    "hsl",
    "hsla",
    "calc",
    "var",
    "min",
    "max",
    "clamp",
    "translate",
    "translatex",
    "translatey",
    "rotate",
    "scale",
    "scalex",
    "scaley",
    "skewx",
    "skewy",
    "matrix",
    "linear-gradient",
    "radial-gradient",
    "local",
}
_CSS_COMMENT = re.compile(r"/\*.*?(\*/|$)", re.S)
_CSS_FUNCTION = re.compile(r"([a-z_-][a-z0-9_-]*)\(", re.I)
_CSS_URL = re.compile(r"url\(\s*(['\"]?)\s*([^'\")\s]*)", re.I)


def css_is_safe(text: str) -> bool:
    """Whether CSS (a style sheet, a style attribute or a presentation attribute) can neither fetch nor run.

    Judged on what a browser would read: escapes (`\\75rl(` is `url(`) are refused outright rather than decoded,
    comments are removed first (`u/**/rl(` must not hide a function), and XML entities are already decoded by the
    parser. Then no @import, no `javascript:`, only known functions, and url() only to `#fragment`.
    """
    if "\\" in text:
        return False
    lowered = _CSS_COMMENT.sub("", text).lower()
    if "@import" in lowered or "javascript:" in lowered or "behavior" in lowered or "-moz-binding" in lowered:
        return False
    if any(name not in SAFE_CSS_FUNCTIONS for name in _CSS_FUNCTION.findall(lowered)):
        return False
    return all(target.startswith("#") for _quote, target in _CSS_URL.findall(lowered))


@dataclass(frozen=True)
class Image:
    data: bytes
    media_type: str


def validate_image(data: bytes, field: str) -> Image:
    """Accepts PNG, JPEG or SVG up to MAX_IMAGE_BYTES; returns it with its real media type (SVG sanitised)."""
    if not data:
        raise UserError("image.empty", errors=[{"field": field}], field=field)
    if len(data) > MAX_IMAGE_BYTES:
        raise UserError("image.too_large", field=field, limit_kib=MAX_IMAGE_BYTES // 1024)
    if data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff"):
        return Image(data, _check_raster(data, field))
    head = data[:512].lstrip().lower()
    if head.startswith(b"<?xml") or head.startswith(b"<svg") or b"<svg" in head:
        return Image(sanitise_svg(data, field), "image/svg+xml")
    raise UserError("image.unsupported_type", field=field)


def _check_raster(data: bytes, field: str) -> str:
    from PIL import Image as PILImage

    try:
        with PILImage.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise UserError("image.too_many_pixels", field=field)
            image.verify()
            return {"PNG": "image/png", "JPEG": "image/jpeg"}[image.format]
    except UserError:
        raise
    except Exception:
        raise UserError("image.corrupt", field=field) from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def sanitise_svg(data: bytes, field: str = "logo") -> bytes:
    """Keeps the drawing, removes scripts, event handlers, external references and entity tricks."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ET.ParseError):
        raise UserError("image.svg_unsafe", field=field) from None
    if _local(root.tag) != "svg":
        raise UserError("image.unsupported_type", field=field)
    _clean(root)
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _clean(element: ET.Element) -> None:
    for child in list(element):
        if not isinstance(child.tag, str) or _local(child.tag) not in SVG_ELEMENTS:
            element.remove(child)
            continue
        _clean(child)
    for name in list(element.attrib):
        local = _local(name).lower()
        value = element.attrib[name].strip()
        if local.startswith("on"):
            del element.attrib[name]
        elif local == "href" and not (
            value.startswith("#") or value.startswith("data:image/png") or value.startswith("data:image/jpeg")
        ):
            del element.attrib[name]
        elif local != "href" and not css_is_safe(value):
            # Any attribute may be read as CSS (style, fill, filter, mask, ...): keep it only when it cannot fetch.
            del element.attrib[name]
    if _local(element.tag) == "style":
        # The style sheet is all the text inside, the tails of child elements too: keep it as text alone, and only
        # when it cannot fetch (@import, url(), image-set()); otherwise it goes whole.
        sheet = "".join(element.itertext())
        for child in list(element):
            element.remove(child)
        element.text = sheet if css_is_safe(sheet) else ""
