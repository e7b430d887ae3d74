"""The fast certificate PDF writer: what readers extract, what renderers draw, and the PDF/A-3b validator's verdict."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import page as pdf_validator
import pytest
import uharfbuzz as hb
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from credentials.certificate import _qr_picture as qr_picture
from credentials.certificate_pdf import (
    FontProgram,
    PageCanvas,
    PdfAttachment,
    PdfForm,
    PdfImage,
    PdfMetadata,
    write_pdfa3b,
)

FONTS = Path(__file__).resolve().parents[2] / "credentials" / "static" / "fonts"
A4 = (595.28, 841.89)
LATVIAN = "Apliecinājums ģīķļņšūž Ķemeru"
ITALIC_WORDS = "Sniegtais finansējums office"  # EB Garamond shapes "fi" and "ffi" as ligatures
CREDENTIAL = b'{"type":["VerifiableCredential"],"name":"Anna B\xc4\x93rzi\xc5\x86a"}'
VERIFY_URL = "https://verify.example.lv/c/3f2a9c"
CREATED = datetime(2024, 11, 12, 9, 30, 0, tzinfo=timezone(timedelta(hours=2)))
BLACK = (0.0, 0.0, 0.0)
RED_BOX = (400.0, 200.0, 100.0, 60.0)  # x, y (top-left), width, height in points
QR_BOX = (60.0, 600.0, 120.0, 120.0)


@pytest.fixture(scope="module")
def fonts() -> dict[str, FontProgram]:
    return {name: FontProgram(FONTS / f"{name}.ttf")
            for name in ("Lato-Regular", "Lato-Bold", "EBGaramond12-Regular", "EBGaramond12-Italic")}


def shape(font: FontProgram, text: str, size: float, letter_spacing: float = 0.0) -> list[tuple[int, float, str]]:
    """Glyph tuples as the typesetter makes them: advances in points, a cluster's text on its first glyph."""
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(font.font, buffer, {})
    infos, positions = buffer.glyph_infos, buffer.glyph_positions
    starts = sorted({info.cluster for info in infos})
    ends = dict(zip(starts, starts[1:] + [len(text)]))
    seen: set[int] = set()
    glyphs = []
    for info, position in zip(infos, positions):
        cluster_text = "" if info.cluster in seen else text[info.cluster:ends[info.cluster]]
        seen.add(info.cluster)
        glyphs.append((info.codepoint, position.x_advance * size / font.upem + letter_spacing, cluster_text))
    return glyphs


def png(color: tuple[int, int, int], size=(20, 10), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color if mode == "RGB" else (*color, 128)).save(buffer, "PNG")
    return buffer.getvalue()


def metadata(**changes) -> PdfMetadata:
    values = dict(title="Apliecinājums – Anna Bērziņa", author="Biedrība „Latvijas Samariešu apvienība”",
                  subject="Brīvprātīgā darba apliecinājums", creator="volunteer-credentials 1.0", created=CREATED,
                  language="lv")
    values.update(changes)
    return PdfMetadata(**values)


def attachment(data: bytes = CREDENTIAL) -> PdfAttachment:
    return PdfAttachment(filename="credential.json", data=data, media_type="application/json",
                         description="Parakstītais apliecinājums", created=CREATED)


def certificate(fonts, name: str = "Anna Bērziņa") -> bytes:
    page = PageCanvas(*A4)
    page.text(60, 100, fonts["Lato-Bold"], 24, (0.1, 0.2, 0.4), shape(fonts["Lato-Bold"], LATVIAN, 24))
    page.text(60, 140, fonts["EBGaramond12-Regular"], 16, BLACK, shape(fonts["EBGaramond12-Regular"], name, 16))
    page.text(60, 170, fonts["EBGaramond12-Italic"], 12, BLACK,
              shape(fonts["EBGaramond12-Italic"], ITALIC_WORDS, 12))
    page.text(60, 190, fonts["Lato-Regular"], 10, (0.3, 0.3, 0.3),
              shape(fonts["Lato-Regular"], "Izsniegts Rīgā", 10, letter_spacing=1.5))
    page.line(60, 110, 535, 110, 0.75, (0.6, 0.6, 0.6))
    page.rectangle(30, 30, A4[0] - 60, A4[1] - 60, 2, (0.1, 0.2, 0.4))
    page.image(*RED_BOX, PdfImage.from_bytes(png((255, 0, 0)), "image/png"))
    page.image(*QR_BOX, PdfImage.from_pil(qr_picture(VERIFY_URL)))
    page.link(*QR_BOX, VERIFY_URL)
    return write_pdfa3b([page], metadata(), [attachment()])


@pytest.fixture(scope="module")
def pdf(fonts) -> bytes:
    return certificate(fonts)


def single_spaced(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def render(pdf: bytes, tmp_path: Path, dpi: int) -> Image.Image:
    source = tmp_path / "certificate.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-singlefile", "-png", str(source), str(tmp_path / "page")],
                   check=True)
    with Image.open(tmp_path / "page.png") as picture:
        return picture.convert("RGB")


def content_stream(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data().decode("ascii")


# --- what readers get back -----------------------------------------------------------------------------------------


def test_pypdf_extracts_the_words_with_their_spaces(pdf):
    text = single_spaced(PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    for expected in (LATVIAN, "Anna Bērziņa", ITALIC_WORDS):
        assert expected in text, text


def test_pdftotext_extracts_the_words_with_their_spaces(pdf, tmp_path):
    source = tmp_path / "certificate.pdf"
    source.write_bytes(pdf)
    text = single_spaced(subprocess.run(["pdftotext", "-enc", "UTF-8", str(source), "-"], check=True,
                                        capture_output=True, text=True).stdout)
    for expected in (LATVIAN, "Anna Bērziņa", ITALIC_WORDS):
        assert expected in text, text


def test_the_ligatures_are_single_glyphs_standing_for_several_letters(fonts):
    glyphs = shape(fonts["EBGaramond12-Italic"], ITALIC_WORDS, 12)
    assert {"fi", "ffi"} <= {text for _, _, text in glyphs}  # else the extraction test above proves nothing


def test_letter_spaced_text_sits_where_it_was_laid_out(pdf, tmp_path, fonts):
    """The TJ adjustments move each glyph to the laid-out advance: pdftotext's box of the spaced word must end
    where the advances say, not where the font's own widths would put it (13.5 pt earlier)."""
    font = fonts["Lato-Regular"]
    glyphs = shape(font, "Izsniegts", 10, letter_spacing=1.5)
    expected_end = 60 + sum(advance for _, advance, _ in glyphs[:-1]) + font.advance(glyphs[-1][0]) * 10 / font.upem
    source = tmp_path / "certificate.pdf"
    source.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", str(source), "-"], check=True, capture_output=True,
                          text=True).stdout
    (box,) = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">Izsniegts</word>', html)
    assert float(box[0]) == pytest.approx(60, abs=0.05)
    assert float(box[1]) == pytest.approx(expected_end, abs=0.05)


def test_the_attachment_comes_back_unchanged(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.attachments["credential.json"] == [CREDENTIAL]
    (associated,) = reader.trailer["/Root"]["/AF"]
    spec = associated.get_object()
    assert spec["/F"] == spec["/UF"] == "credential.json"
    assert spec["/AFRelationship"] == "/Source" and spec["/Desc"] == "Parakstītais apliecinājums"
    embedded = spec["/EF"]["/F"].get_object()
    assert embedded["/Type"] == "/EmbeddedFile" and embedded["/Subtype"] == "/application/json"
    assert embedded["/Filter"] == "/FlateDecode"
    params = embedded["/Params"]
    assert params["/Size"] == len(CREDENTIAL)
    assert params["/CheckSum"].original_bytes == hashlib.md5(CREDENTIAL).digest()
    assert params["/CreationDate"] == params["/ModDate"] == "D:20241112073000+00'00'"  # UTC
    assert b"/Subtype /application#2Fjson" in pdf


# --- PDF/A-3b ------------------------------------------------------------------------------------------------------


def test_the_validator_finds_pdfa_3b(pdf):
    report = pdf_validator.validate_pdf_bytes(pdf)
    assert report.profile == pdf_validator.ValidationProfile.PDF_A_3B
    assert report.is_compliant, [f"{failure.rule_id}: {failure.message}" for failure in report.failures]


def test_xmp_and_info_say_the_same(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    catalog = reader.trailer["/Root"]
    stream = catalog["/Metadata"].get_object()
    assert "/Filter" not in stream
    xmp = stream.get_data().decode("utf-8")
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    info = reader.trailer["/Info"]
    assert info["/Title"] == "Apliecinājums – Anna Bērziņa" and f">{info['/Title']}<" in xmp
    assert info["/Author"] == "Biedrība „Latvijas Samariešu apvienība”" and f">{info['/Author']}<" in xmp
    assert f">{info['/Subject']}<" in xmp and f"<xmp:CreatorTool>{info['/Creator']}</xmp:CreatorTool>" in xmp
    assert info["/Producer"] == "volunteer-credentials" and "<pdf:Producer>volunteer-credentials<" in xmp
    assert info["/CreationDate"] == info["/ModDate"] == "D:20241112073000+00'00'"
    assert "<xmp:CreateDate>2024-11-12T07:30:00Z<" in xmp and "<xmp:ModifyDate>2024-11-12T07:30:00Z<" in xmp
    assert catalog["/Lang"] == "lv"
    (intent,) = catalog["/OutputIntents"]
    intent = intent.get_object()
    assert intent["/S"] == "/GTS_PDFA1" and intent["/OutputConditionIdentifier"] == "sRGB IEC61966-2.1"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3 and profile.get_data()[36:40] == b"acsp"  # an ICC profile's signature
    assert pdf.startswith(b"%PDF-1.7\n")


def test_an_xml_special_character_in_the_metadata_stays_valid(fonts):
    page = PageCanvas(*A4)
    page.text(60, 100, fonts["Lato-Regular"], 12, BLACK, shape(fonts["Lato-Regular"], "Tom & Jerry", 12))
    pdf = write_pdfa3b([page], metadata(title="Tom & Jerry <ltd>", author="A \"B\" (C)"), [])
    report = pdf_validator.validate_pdf_bytes(pdf)
    assert report.is_compliant, [f"{failure.rule_id}: {failure.message}" for failure in report.failures]
    assert PdfReader(io.BytesIO(pdf)).trailer["/Info"]["/Title"] == "Tom & Jerry <ltd>"


# --- fonts ---------------------------------------------------------------------------------------------------------


def test_fonts_are_identity_encoded_subsets_with_matching_widths(pdf, fonts):
    reader = PdfReader(io.BytesIO(pdf))
    embedded = {}
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        assert font["/Subtype"] == "/Type0" and font["/Encoding"] == "/Identity-H"
        (descendant,) = font["/DescendantFonts"]
        descendant = descendant.get_object()
        assert descendant["/Subtype"] == "/CIDFontType2" and descendant["/CIDToGIDMap"] == "/Identity"
        assert dict(descendant["/CIDSystemInfo"]) == {"/Registry": "Adobe", "/Ordering": "Identity",
                                                      "/Supplement": 0}
        descriptor = descendant["/FontDescriptor"]
        assert re.fullmatch(r"/[A-Z]{6}\+[A-Za-z0-9-]+", descriptor["/FontName"])
        assert descriptor["/Flags"] & 4
        program = descriptor["/FontFile2"].get_object()
        data = program.get_data()
        assert program["/Length1"] == len(data)
        name = descriptor["/FontName"].split("+", 1)[1]
        embedded[name] = (data, descendant["/W"])
    assert set(embedded) == {"Lato-Regular", "Lato-Bold", "EBGaramond12-Regular", "EBGaramond12-Italic"}

    for name, (data, widths) in embedded.items():
        source = fonts[name]
        assert len(data) < len(source.data) / 10  # a subset, not the whole font
        subset = hb.Font(hb.Face(data))
        # /W lists [first [w w ...] ...]: each width is the font's advance in 1/1000 em, in the original and the
        # subset alike (RETAIN_GIDS keeps glyph ids), and every listed glyph keeps its outline.
        index = 0
        while index < len(widths):
            first, run = widths[index], widths[index + 1]
            for offset, width in enumerate(run):
                glyph = first + offset
                assert float(width) == pytest.approx(source.advance(glyph) * 1000 / source.upem)
                assert subset.get_glyph_h_advance(glyph) == source.advance(glyph)
                assert subset.get_glyph_extents(glyph) == source.font.get_glyph_extents(glyph)
            index += 2


def test_the_subset_tag_follows_the_glyph_set(fonts):
    def font_names(pdf):
        return sorted(f.get_object()["/BaseFont"]
                      for f in PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"].values())

    same, other = font_names(certificate(fonts)), font_names(certificate(fonts, name="Jānis Ozols"))
    assert same == font_names(certificate(fonts))
    assert [n for n in same if "EBGaramond12-Regular" in n] != [n for n in other if "EBGaramond12-Regular" in n]
    assert [n for n in same if "Lato-Bold" in n] == [n for n in other if "Lato-Bold" in n]


def test_font_metrics(fonts):
    lato = fonts["Lato-Regular"]
    assert lato.upem == 2000 and lato.ascender > 0 > lato.descender
    assert 0 < lato.x_height < lato.cap_height < lato.ascender
    assert isinstance(lato.unicodes, frozenset) and ord("ā") in lato.unicodes and 0x1F600 not in lato.unicodes
    space = lato.font.get_nominal_glyph(32)
    assert lato.advance(space) == lato.font.get_glyph_h_advance(space) > 0


def test_notdef_is_never_shown_but_keeps_its_place(fonts):
    """PDF/A forbids showing .notdef, which shaping gives for a character the font lacks."""
    font = fonts["Lato-Regular"]
    glyphs = shape(font, "a\U0001F600b", 12)
    assert [gid for gid, _, _ in glyphs][1] == 0
    page = PageCanvas(*A4)
    page.text(60, 100, font, 12, BLACK, glyphs)
    pdf = write_pdfa3b([page], metadata(), [])
    (tj,) = re.findall(r"\[(.*)\] TJ", content_stream(pdf))
    assert "0000" not in re.findall(r"[0-9a-f]{4}", "".join(re.findall(r"<([0-9a-f]*)>", tj)))
    notdef = glyphs[1][1] * 1000 / 12
    a_gap = font.advance(glyphs[0][0]) * 1000 / font.upem - glyphs[0][1] * 1000 / 12
    assert float(tj.split()[1]) == pytest.approx(a_gap - notdef, abs=0.01)
    report = pdf_validator.validate_pdf_bytes(pdf)
    assert report.is_compliant, [f"{failure.rule_id}: {failure.message}" for failure in report.failures]


# --- content stream ------------------------------------------------------------------------------------------------


def test_state_operators_only_when_they_change(fonts):
    font = fonts["Lato-Regular"]
    page = PageCanvas(*A4)
    for y in (100, 120, 140):
        page.text(60, y, font, 12, BLACK, shape(font, "Viens divi", 12))
    page.text(60, 160, font, 14, BLACK, shape(font, "Trīs", 14))
    for y in (200, 210):
        page.line(60, y, 200, y, 1, BLACK)
    page.rectangle(10, 10, 100, 100, 1, (1, 0, 0))
    stream = content_stream(write_pdfa3b([page], metadata(), []))
    assert stream.count(" Tf") == 2 and stream.count(" rg") == 1
    assert stream.count(" w") == 1 and stream.count(" RG") == 2
    assert stream.count("BT") == stream.count("ET") == 1  # consecutive runs share one text object
    assert stream.count(" Tm") == 4 and stream.count(" TJ") == 4


def test_coordinates_are_flipped_to_pdf_space(pdf):
    stream = content_stream(pdf)
    x, y, width, height = RED_BOX
    assert f"q {width:g} 0 0 {height:g} {x:g} {A4[1] - y - height:.2f} cm /Im0 Do Q" in stream
    assert f"1 0 0 1 60 {A4[1] - 100:.2f} Tm" in stream
    (annotation,) = PdfReader(io.BytesIO(pdf)).pages[0]["/Annots"]
    annotation = annotation.get_object()
    x, y, width, height = QR_BOX
    assert [float(v) for v in annotation["/Rect"]] == pytest.approx([x, A4[1] - y - height, x + width, A4[1] - y])
    assert annotation["/Subtype"] == "/Link" and annotation["/F"] == 4 and list(annotation["/Border"]) == [0, 0, 0]
    assert annotation["/A"]["/S"] == "/URI" and annotation["/A"]["/URI"] == VERIFY_URL


def test_a_non_ascii_link_is_percent_encoded(fonts):
    page = PageCanvas(*A4)
    page.link(10, 10, 50, 50, "https://example.lv/pārbaude?v=1")
    (annotation,) = PdfReader(io.BytesIO(write_pdfa3b([page], metadata(), []))).pages[0]["/Annots"]
    assert annotation.get_object()["/A"]["/URI"] == "https://example.lv/p%C4%81rbaude?v=1"


# --- rendering and images ------------------------------------------------------------------------------------------


def test_poppler_draws_the_red_image_and_the_qr_code_where_they_belong(pdf, tmp_path):
    scale = 50 / 72
    picture = render(pdf, tmp_path, dpi=50)
    x, y, width, height = RED_BOX
    assert picture.getpixel((int((x + width / 2) * scale), int((y + height / 2) * scale))) == (255, 0, 0)
    assert picture.getpixel((int((x - 10) * scale), int((y + height / 2) * scale))) == (255, 255, 255)
    red = [(px, py) for py in range(picture.height) for px in range(picture.width)
           if picture.getpixel((px, py)) == (255, 0, 0)]
    assert min(red)[0] == pytest.approx(x * scale, abs=1.5) and max(red)[0] == pytest.approx((x + width) * scale,
                                                                                             abs=1.5)
    assert [code.text for code in zxingcpp.read_barcodes(render(pdf, tmp_path, dpi=150))] == [VERIFY_URL]


def test_images_are_opaque_and_cached(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    xobjects = {name: ref.get_object() for name, ref in reader.pages[0]["/Resources"]["/XObject"].items()}
    assert [x["/ColorSpace"] for x in xobjects.values()] == ["/DeviceRGB", "/DeviceGray"]
    for xobject in xobjects.values():
        assert xobject["/Interpolate"].value is False and "/SMask" not in xobject and xobject["/BitsPerComponent"] == 8
    red = png((255, 0, 0))
    assert PdfImage.from_bytes(red, "image/png") is PdfImage.from_bytes(bytes(red), "image/png")


def test_alpha_is_flattened_onto_white():
    image = PdfImage.from_bytes(png((0, 0, 255), mode="RGBA"), "image/png")
    assert (image.width, image.height, image._color_space) == (20, 10, "/DeviceRGB")
    assert zlib.decompress(image._data)[:3] == bytes((127, 127, 255))  # half-transparent blue over white


def test_jpeg_is_passed_through(fonts, tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 160, 0)).save(buffer, "JPEG", quality=90)
    jpeg = buffer.getvalue()
    image = PdfImage.from_bytes(jpeg, "image/jpeg")
    assert (image.width, image.height) == (40, 30)
    page = PageCanvas(*A4)
    page.image(100, 100, 80, 60, image)
    pdf = write_pdfa3b([page], metadata(), [])
    (xobject,) = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/XObject"].values()
    assert xobject.get_object()["/Filter"] == "/DCTDecode" and jpeg in pdf
    r, g, b = render(pdf, tmp_path, dpi=50).getpixel((int(140 * 50 / 72), int(130 * 50 / 72)))
    assert g > 120 and r < 40 and b < 40
    report = pdf_validator.validate_pdf_bytes(pdf)
    assert report.is_compliant, [f"{failure.rule_id}: {failure.message}" for failure in report.failures]


# --- determinism and documents -------------------------------------------------------------------------------------


def test_identical_input_gives_identical_bytes(fonts, pdf):
    again = certificate(fonts)
    assert again == pdf
    (first, second) = re.search(rb"/ID \[\((\w+)\) \((\w+)\)\]", pdf).groups()
    assert first == second and len(first) == 32
    other = certificate(fonts, name="Jānis Ozols")
    assert other != pdf and re.search(rb"/ID \[\((\w+)\)", other).group(1) != first


def test_several_pages_share_the_fonts(fonts):
    font = fonts["Lato-Regular"]
    pages = []
    for word in ("Pirmā", "Otrā"):
        page = PageCanvas(*A4)
        page.text(60, 100, font, 12, BLACK, shape(font, f"{word} lapa", 12))
        pages.append(page)
    pdf = write_pdfa3b(pages, metadata(), [attachment()])
    reader = PdfReader(io.BytesIO(pdf))
    assert [single_spaced(p.extract_text()).strip() for p in reader.pages] == ["Pirmā lapa", "Otrā lapa"]
    (first,), (second,) = (p["/Resources"]["/Font"].values() for p in reader.pages)
    assert first.idnum == second.idnum
    report = pdf_validator.validate_pdf_bytes(pdf)
    assert report.is_compliant, [f"{failure.rule_id}: {failure.message}" for failure in report.failures]


def test_a_glyph_gets_the_first_text_any_page_gives_it(fonts):
    """A glyph first met as the continuation of a cluster (text '') takes the text a later page gives it."""
    font = fonts["Lato-Regular"]
    a, b = (font.font.get_nominal_glyph(ord(c)) for c in "ab")
    advance = font.advance(a) * 12 / font.upem
    pages = [PageCanvas(*A4), PageCanvas(*A4)]
    pages[0].text(60, 100, font, 12, BLACK, [(a, advance, "a"), (b, advance, "")])
    pages[1].text(60, 100, font, 12, BLACK, [(b, advance, "b"), (a, advance, "a")])
    reader = PdfReader(io.BytesIO(write_pdfa3b(pages, metadata(), [])))
    assert [p.extract_text().strip() for p in reader.pages] == ["ab", "ba"]


def test_what_cannot_be_written_is_refused(fonts):
    with pytest.raises(ValueError, match="at least one page"):
        write_pdfa3b([], metadata(), [])
    with pytest.raises(ValueError, match="unique"):
        write_pdfa3b([PageCanvas(*A4)], metadata(), [attachment(), attachment(b"{}")])


# --- drawings from other PDFs, stream ends -------------------------------------------------------------------------


def test_a_drawing_from_another_pdf_is_placed_as_a_form_at_the_size_asked(fonts, tmp_path):
    """How an SVG logo drawn by WeasyPrint reaches a certificate: the other PDF's page, scaled into a box."""
    drawing = PageCanvas(130, 70)
    drawing.image(0, 0, 60, 70, PdfImage.from_bytes(png((255, 0, 0)), "image/png"))
    drawing.text(70, 40, fonts["Lato-Regular"], 12, BLACK, shape(fonts["Lato-Regular"], "Emblēma", 12))
    form = PdfForm(write_pdfa3b([drawing], metadata(), []))
    assert (form.width, form.height) == (130, 70)

    page = PageCanvas(*A4)
    scale = 127.6 / 130  # 1/130 needs more than three decimals
    page.image(300, 400, 130 * scale, 70 * scale, form)
    pdf = write_pdfa3b([page], metadata(), [attachment()])

    report = pdf_validator.validate_pdf_bytes(pdf)
    assert report.is_compliant, [f"{failure.rule_id}: {failure.message}" for failure in report.failures]
    source = tmp_path / "form.pdf"
    source.write_bytes(pdf)
    words = subprocess.run(["pdftotext", "-bbox", str(source), "-"], capture_output=True, text=True,
                           check=True).stdout
    x_min = float(re.search(r'<word xMin="([\d.]+)"[^>]*>Emblēma</word>', words)[1])
    assert abs(x_min - (300 + 70 * scale)) < 0.3
    picture = render(pdf, tmp_path, dpi=72)
    assert picture.getpixel((300 + 30, 400 + 30))[0] > 200 and picture.getpixel((300 + 30, 400 + 30))[1] < 60
    assert picture.getpixel((300 + 30, 400 + 75)) == (255, 255, 255)  # below the box: nothing


def test_a_stream_that_ends_with_a_carriage_return_keeps_its_last_byte():
    """One compressed stream in 256 ends with CR (its checksum's last byte); written before LF, readers would take
    CR LF as the end-of-line marker and lose a byte."""
    ids = (hashlib.sha256(str(n).encode()).hexdigest() for n in range(100_000))
    data = next(candidate for candidate in (f'{{"id": "{id_}"}}'.encode() for id_ in ids)
                if zlib.compress(candidate, 6).endswith(b"\r"))
    pdf = write_pdfa3b([PageCanvas(*A4)], metadata(), [attachment(data)])
    assert PdfReader(io.BytesIO(pdf)).attachments["credential.json"] == [data]
    report = pdf_validator.validate_pdf_bytes(pdf)
    assert report.is_compliant, [f"{failure.rule_id}: {failure.message}" for failure in report.failures]
