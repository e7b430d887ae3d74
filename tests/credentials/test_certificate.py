"""PDF certificates: what a reader sees (text, QR code, pages), what a machine reads (embedded credential, PDF/A)."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import subprocess
import zipfile
from dataclasses import replace
from datetime import date
from decimal import Decimal

import page as pdf_validator
import pytest
import zxingcpp
from PIL import Image as PILImage
from pypdf import PdfReader

from credentials import certificate
from credentials.certificate import (
    CertificateCompetence,
    CertificateRenderer,
    EmbeddedCredentialError,
    Image,
    certificate_filename,
    extract_embedded_credential,
    render_many,
    zip_certificates,
)
from credentials.certificate_typeset import NotTypesettable
from tests.conftest import REFERENCE
from tests.credentials import samples

LATVIAN_LETTERS = "āčēģīķļņšūž"


@pytest.fixture(scope="module")
def renderer() -> CertificateRenderer:
    return CertificateRenderer()


def text_of(pdf: bytes) -> str:
    """The PDF's text with runs of whitespace made single spaces, so that wrapped lines still match."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pages))


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def page_png(pdf: bytes, tmp_path, page: int = 1, dpi: int = 150) -> PILImage.Image:
    """One page as a picture, through poppler's pdftoppm (a renderer independent of the one that made the PDF)."""
    source = tmp_path / "certificate.pdf"
    source.write_bytes(pdf)
    prefix = tmp_path / f"page-{page}-{dpi}"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile", "-png",
                    str(source), str(prefix)], check=True)
    with PILImage.open(f"{prefix}.png") as picture:
        return picture.convert("RGB")


def qr_codes(pdf: bytes, tmp_path, page: int = 1) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(page_png(pdf, tmp_path, page))]


def red_pixels(picture: PILImage.Image) -> int:
    """How many pixels are clearly red (the sample logos' colour; nothing else on a certificate is red)."""
    colours = picture.getcolors(maxcolors=picture.width * picture.height)
    return sum(count for count, (r, g, b) in colours if r > 150 and g < 90 and b < 90)


def overflowing_boxes(document) -> list[str]:
    """Boxes of the flow that reach outside the page's content area (margin boxes excluded)."""
    from weasyprint.formatting_structure.boxes import MarginBox

    problems = []
    for number, page in enumerate(document.pages, 1):
        page_box = page._page_box
        left, top = page_box.content_box_x(), page_box.content_box_y()
        right, bottom = left + page_box.width, top + page_box.height
        for child in page_box.children:
            if isinstance(child, MarginBox):
                continue
            for box in child.descendants():
                x, y = box.border_box_x(), box.border_box_y()
                if x < left - 0.5 or y < top - 0.5 or x + box.border_width() > right + 0.5 \
                        or y + box.border_height() > bottom + 0.5:
                    problems.append(f"page {number}: {type(box).__name__} {getattr(box, 'text', '')[:40]!r}")
    return problems


# --- the certificate a reader sees ---------------------------------------------------------------------------------

CASES = {
    "named-lv": lambda: samples.named("lv"),
    "named-en": lambda: samples.named("en"),
    "named-bilingual": lambda: samples.named("bilingual"),
    "pseudonymous-lv": lambda: samples.pseudonymous("lv"),
    "pseudonymous-en": lambda: samples.pseudonymous("en"),
    "pseudonymous-bilingual": lambda: samples.pseudonymous("bilingual"),
}


@pytest.mark.parametrize("case", CASES)
def test_certificate_shows_the_work_and_its_qr_code_opens_the_verification_page(renderer, case, tmp_path):
    data = CASES[case]()
    pdf = renderer.render(data)

    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == 1
    assert qr_codes(pdf, tmp_path) == [data.verify_url]
    text = text_of(pdf)
    assert data.verify_url in text.replace("/ ", "/")  # the printed link may wrap after a slash
    assert data.organisation_name in text and data.organisation_reg_no in text
    assert data.mission_title in text and data.municipality in text
    assert data.catalogue_version in text and data.credential_id in text
    assert data.signatory_name in text and data.signatory_position in text
    hours = str(data.hours)
    assert (hours if data.language == "en" else hours.replace(".", ",")) in text
    for competence in data.competences:
        if data.language != "en":
            assert competence.label_lv in text
        if data.language != "lv":
            assert competence.label_en in text


def test_named_volunteer_is_named(renderer):
    text = text_of(renderer.render(samples.named("lv")))
    assert "Anna Bērziņa" in text
    assert "Pseidonīma atsauce" not in text


def test_pseudonymous_volunteer_shows_only_a_neutral_word_and_the_reference(renderer):
    data = samples.pseudonymous("bilingual")
    text = text_of(renderer.render(data))
    assert "Brīvprātīgais / Volunteer" in text
    assert "Pseidonīma atsauce / Pseudonymous reference: VK-7Q4M-2XJD" in text
    assert "Anna" not in text and "Bērziņa" not in text


@pytest.mark.parametrize("language, label", [("lv", "Loma:"), ("en", "Role:"), ("bilingual", "Loma / Role:")])
def test_the_volunteers_role_is_on_the_certificate(renderer, language, label):
    text = " ".join(text_of(renderer.render(samples.named(language))).split())
    assert f"{label} Sarunu biedre un pastaigu pavadone" in text
    without = " ".join(text_of(renderer.render(samples.named(language, role=None))).split())
    assert label not in without and "Sarunu biedre" not in without


def test_pseudonymous_volunteer_may_show_a_chosen_name(renderer):
    text = text_of(renderer.render(samples.pseudonymous("en", volunteer_name="Anna B.")))
    assert "Anna B." in text and "Pseudonymous reference: VK-7Q4M-2XJD" in text
    assert "Volunteer" not in text


def test_each_language_speaks_only_itself_and_bilingual_puts_latvian_first(renderer):
    latvian = text_of(renderer.render(samples.named("lv")))
    english = text_of(renderer.render(samples.named("en")))
    both = text_of(renderer.render(samples.named("bilingual")))

    assert "APLIECINĀJUMS" in latvian and "Certificate" not in latvian and "work in teams" not in latvian
    assert "CERTIFICATE" in english and "Apliecinājums" not in english and "darbs komandā" not in english
    assert both.index("APLIECINĀJUMS") < both.index("CERTIFICATE OF VOLUNTEER WORK")
    assert "darbs komandā / work in teams" in both
    assert both.index("Kā pārbaudīt šo apliecinājumu") < both.index("How to check this certificate")


def test_dates_and_hours_follow_the_language(renderer):
    data = samples.named("lv", hours=Decimal("12.50"), start_date=date(2024, 6, 3), end_date=date(2024, 8, 30))
    latvian = text_of(renderer.render(data))
    english = text_of(renderer.render(replace(data, language="en")))
    assert "03.06.2024. – 30.08.2024." in latvian and "12,5" in latvian
    assert "3 June 2024 – 30 August 2024" in english and "12.5" in english and "15 September 2024" in english


@pytest.mark.parametrize("language", ["lv", "en", "bilingual"])
def test_every_latvian_letter_survives_into_the_pdf_text(renderer, language):
    title = samples.LATVIAN_TITLE
    assert set(LATVIAN_LETTERS) <= set(title)
    text = text_of(renderer.render(samples.named(language, mission_title=title)))
    assert title in text
    for letter in LATVIAN_LETTERS + LATVIAN_LETTERS.upper():
        assert letter in text, letter


def test_self_described_competences_are_marked_and_explained(renderer):
    data = samples.named("en", competences=samples.competences(9))
    text = text_of(renderer.render(data))
    assert "interact verbally in English *" in text and "create digital content *" in text
    assert "work in teams *" not in text
    assert "* Described by the volunteer and approved by the organiser" in text
    assert "Described by the volunteer" not in text_of(renderer.render(samples.named("en")))


def test_competences_are_grouped_by_key_competence_in_the_recommendations_order(renderer):
    text = text_of(renderer.render(samples.named("en", competences=samples.competences(20))))
    headings = ["LITERACY COMPETENCE", "MULTILINGUAL COMPETENCE", "MATHEMATICAL COMPETENCE", "DIGITAL COMPETENCE",
                "PERSONAL, SOCIAL AND LEARNING TO LEARN COMPETENCE", "CITIZENSHIP COMPETENCE",
                "ENTREPRENEURSHIP COMPETENCE", "CULTURAL AWARENESS AND EXPRESSION COMPETENCE", "OTHER COMPETENCES"]
    positions = [text.index(heading) for heading in headings]
    assert positions == sorted(positions)
    # Within a group, core competences come first.
    assert text.index("solve problems") < text.index("coordinate events")
    assert text.index("LITERACY COMPETENCE") < text.index("communicate with elderly groups") \
        < text.index("MULTILINGUAL COMPETENCE")


def test_twenty_competences_and_a_long_title_continue_on_a_second_page_without_overflow(renderer, tmp_path):
    data = samples.long_certificate("bilingual", organisation_logo=samples.png_logo(),
                                    signature_image=samples.png_signature())
    document = renderer.document(data)
    assert len(document.pages) == 2
    assert overflowing_boxes(document) == []

    pdf = renderer.render(data)
    assert page_count(pdf) == 2
    text = text_of(pdf)
    assert re.sub(r"\s+", " ", data.mission_title) in text
    assert len(data.competences) == 20
    for competence in data.competences:
        assert competence.label_lv in text and competence.label_en in text
    second = re.sub(r"\s+", " ", PdfReader(io.BytesIO(pdf)).pages[1].extract_text())
    assert "Anna Bērziņa · turpinājums / continued" in second
    assert "2/2" in second and data.signatory_name in second
    assert qr_codes(pdf, tmp_path, page=2) == [data.verify_url]  # with the signature, at the end


def test_long_words_wrap_inside_the_page(renderer):
    word = "Pašvaldībaspārvaldesbrīvprātīgodarbakoordinācijasnodaļa" * 2
    competence = replace(samples.competences(1)[0], label_lv=word, label_en=word)
    data = samples.named("bilingual", organisation_name=word, volunteer_name=word, mission_title=word,
                         competences=[competence])
    assert overflowing_boxes(renderer.document(data)) == []


def test_the_overflow_check_sees_overflow():
    from weasyprint import HTML

    document = HTML(string='<div style="width: 400mm">too wide</div>').render()
    assert overflowing_boxes(document)


def test_user_text_is_escaped(renderer):
    text = text_of(renderer.render(samples.named("lv", mission_title="<b>Talka</b> & \"citi\"")))
    assert "<b>Talka</b> & \"citi\"" in text


# --- images --------------------------------------------------------------------------------------------------------


def test_png_logo_and_signature_image_are_drawn(renderer, tmp_path):
    data = samples.named("lv", organisation_logo=samples.png_logo(), signature_image=samples.png_signature())
    pdf = renderer.render(data)
    sizes = {image.image.size for image in PdfReader(io.BytesIO(pdf)).pages[0].images}
    qr_size = next(size for size in sizes if size[0] == size[1] and size[0] < 60)  # one pixel per module
    assert sizes == {(240, 240), (600, 180), qr_size}  # logo, signature, QR code
    assert red_pixels(page_png(pdf, tmp_path, dpi=50)) > 50  # the logo's red cross
    assert red_pixels(page_png(renderer.render(samples.named("lv")), tmp_path, dpi=50)) == 0
    assert qr_codes(pdf, tmp_path) == [data.verify_url]


def test_svg_logo_is_drawn_as_vector(renderer, tmp_path):
    pdf = renderer.render(samples.named("en", organisation_logo=samples.SVG_LOGO))
    assert red_pixels(page_png(pdf, tmp_path, dpi=100)) > 20  # the word "apvienība" in red
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 1  # only the QR code is a raster image


def test_large_transparent_images_are_scaled_down_and_flattened():
    picture = PILImage.new("RGBA", (3000, 1000), (0, 0, 0, 0))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    prepared = certificate._prepare_image(Image(buffer.getvalue(), "image/png"))
    with PILImage.open(io.BytesIO(prepared.data)) as result:
        assert result.size == (certificate.MAX_IMAGE_PIXELS, 217) and result.mode == "RGB"
        assert result.getpixel((10, 10)) == (255, 255, 255)


@pytest.mark.parametrize("mode", ["RGB", "L", "CMYK"])
def test_jpeg_logos_keep_the_pdf_pdfa(renderer, mode):
    buffer = io.BytesIO()
    PILImage.new(mode, (800, 200), "navy" if mode != "L" else 60).save(buffer, format="JPEG")
    pdf = renderer.render(samples.named("lv", organisation_logo=Image(buffer.getvalue(), "image/jpeg")))
    report = pdf_validator.validate_pdf_bytes(pdf)
    assert report.is_compliant, [failure.rule_id for failure in report.failures]  # CMYK would break PDF/A
    (logo,) = [image for image in PdfReader(io.BytesIO(pdf)).pages[0].images if image.image.size[0] > 100]
    assert logo.image.size == (certificate.MAX_IMAGE_PIXELS, 163)  # scaled down, proportions kept


def test_images_from_the_same_bytes_are_prepared_once(renderer):
    logo = samples.png_logo()
    url = renderer.resources.url(logo)
    assert renderer.resources.url(Image(bytes(logo.data), logo.media_type)) == url
    assert renderer.resources.url(samples.png_signature()) != url


def test_an_svg_logo_cannot_make_the_renderer_fetch_anything(renderer, tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(samples.png_logo().data)
    for url in (secret.as_uri(), "http://127.0.0.1:9/logo.png"):
        with pytest.raises(ValueError):
            renderer.url_fetcher.fetch(url)
    hostile = Image(f'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="{secret.as_uri()}" '
                    'width="10" height="10"/></svg>'.encode(), "image/svg+xml")
    pdf = renderer.render(samples.named("lv", organisation_logo=hostile))
    assert pdf.startswith(b"%PDF-")
    assert red_pixels(page_png(pdf, tmp_path, dpi=50)) == 0  # the file's red cross is not drawn


# --- the embedded credential and PDF/A -----------------------------------------------------------------------------


def test_embedded_credential_is_the_one_given(renderer):
    data = samples.named("lv")
    assert extract_embedded_credential(renderer.render(data)) == samples.signed_credential()

    exact = json.dumps(samples.signed_credential(), separators=(",", ":")).encode()
    pdf = renderer.render(replace(data, credential=exact))
    assert PdfReader(io.BytesIO(pdf)).attachments["credential.json"] == [exact]
    assert extract_embedded_credential(pdf) == samples.signed_credential()


def test_extracting_from_something_else_fails_clearly():
    from weasyprint import HTML

    with pytest.raises(EmbeddedCredentialError, match="no attached credential.json"):
        extract_embedded_credential(HTML(string="<p>x</p>").write_pdf())
    with pytest.raises(EmbeddedCredentialError, match="not a readable PDF"):
        extract_embedded_credential(b"not a pdf")


def test_pdf_is_pdfa_3b_with_the_credential_as_associated_file(renderer):
    pdf = renderer.render(samples.named("bilingual", organisation_logo=samples.png_logo(),
                                        signature_image=samples.png_signature()))
    reader = PdfReader(io.BytesIO(pdf))
    catalog = reader.trailer["/Root"]

    metadata = catalog["/Metadata"].get_object()
    assert "/Filter" not in metadata  # PDF/A-2/3: the XMP stream is not compressed
    xmp = metadata.get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert "Brīvprātīgā darba apliecinājums / Certificate of volunteer work – Anna Bērziņa" in xmp
    assert "Biedrība „Latvijas Samariešu apvienība”" in xmp

    (intent,) = catalog["/OutputIntents"]
    assert intent.get_object()["/S"] == "/GTS_PDFA1" and "/DestOutputProfile" in intent.get_object()

    (associated,) = catalog["/AF"]
    spec = associated.get_object()
    assert spec["/F"] == spec["/UF"] == "credential.json"
    assert spec["/AFRelationship"] == "/Source"
    assert spec["/EF"]["/F"].get_object()["/Subtype"] == "/application/json"

    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert {"/FontFile2", "/FontFile3"} & set(descriptor)  # every font is embedded

    # An independent PDF/A validator (veraPDF, the reference, is Java and not packaged for PyPI or Debian).
    report = pdf_validator.validate_pdf_bytes(pdf)
    assert report.profile == pdf_validator.ValidationProfile.PDF_A_3B
    assert report.is_compliant, [f"{failure.rule_id}: {failure.message}" for failure in report.failures]


def test_same_data_gives_the_same_bytes(renderer):
    data = samples.named("lv", organisation_logo=samples.png_logo())
    assert renderer.render(data) == CertificateRenderer().render(data)


@pytest.mark.parametrize("language", ["lv", "en", "bilingual"])
def test_fast_parsing_and_the_reduced_user_agent_sheet_give_the_pdf_weasyprint_would(renderer, language):
    """The renderer parses the template's output as XML and gives WeasyPrint a user agent stylesheet reduced to the
    template's elements (`_parsed_html`); WeasyPrint's own parser and full sheet must give the same PDF, so a
    template edit that parses differently, stops being well-formed or needs a missing rule shows up here."""
    from weasyprint import HTML

    data = samples.long_certificate(language, organisation_logo=samples.png_logo(),
                                    signature_image=samples.png_signature())
    markup = renderer.html(data)
    base_url = str(certificate.STATIC) + "/"
    fast = certificate._parsed_html(markup, base_url, renderer.url_fetcher)
    # The XML path is taken, not the fallback: the markup is well-formed and `HTML` is built as expected.
    assert certificate.ElementTree.fromstring(markup).tag == "html" and certificate._xml_parsing_checked is True
    weasyprint_defaults = HTML(string=markup, base_url=base_url, url_fetcher=renderer.url_fetcher)

    def pdf(html):
        document = html.render(stylesheets=[renderer.stylesheet], font_config=renderer.font_config,
                               cache=renderer.image_cache, pdf_variant=certificate.PDF_VARIANT)
        return document.write_pdf(pdf_variant=certificate.PDF_VARIANT, pdf_identifier=True)

    assert pdf(fast) == pdf(weasyprint_defaults)


def test_a_name_that_is_not_valid_xml_still_renders(renderer):
    data = samples.named("lv", volunteer_name="Anna\x0bBērziņa")  # a vertical tab pasted from a spreadsheet
    with pytest.raises(Exception):
        certificate.ElementTree.fromstring(renderer.html(data))
    pdf = renderer.render(data)  # WeasyPrint's own parser takes markup that is not XML
    assert page_count(pdf) == 1 and extract_embedded_credential(pdf) == samples.signed_credential()


# --- the typeset certificate (WeasyPrint's layout, set without WeasyPrint) -----------------------------------------


def word_boxes(pdf: bytes, tmp_path, name: str) -> dict[tuple[int, str], list[tuple[float, float, float]]]:
    """Every word poppler finds, with its box (top, left, right) in points, by page number and text."""
    import html

    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-bbox", str(source), "-"], capture_output=True, text=True, check=True).stdout
    boxes: dict[tuple[int, str], list[tuple[float, float, float]]] = {}
    for number, page in enumerate(out.split("<page ")[1:], 1):
        for match in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">(.*?)</word>',
                                 page):
            left, top, right = (float(match[i]) for i in (1, 2, 3))
            boxes.setdefault((number, html.unescape(match[4])), []).append((top, left, right))
    return {word: sorted(found) for word, found in boxes.items()}


LONG_WORD = "Pašvaldībaspārvaldesbrīvprātīgodarbakoordinācijasnodaļa"
LONG_ORGANISATION = ("Nodibinājums „Latvijas Sarkanā Krusta Rīgas pilsētas brīvprātīgo koordinācijas centrs un "
                     "jauniešu nodaļa”")  # too long to stand beside a logo: it goes under it
TYPESET_CASES = {
    "named-lv-images": lambda: samples.named("lv", organisation_logo=samples.png_logo(),
                                             signature_image=samples.png_signature()),
    "named-en": lambda: samples.named("en"),
    "named-bilingual-images": lambda: samples.named("bilingual", organisation_logo=samples.png_logo(),
                                                    signature_image=samples.png_signature()),
    "pseudonymous-en": lambda: samples.pseudonymous("en"),
    "pseudonymous-bilingual-logo": lambda: samples.pseudonymous("bilingual", organisation_logo=samples.png_logo()),
    "nine-competences-self-described": lambda: samples.named("lv", competences=samples.competences(9)),
    "long-words-cut": lambda: samples.named(
        "bilingual", organisation_name=LONG_WORD, volunteer_name=LONG_WORD, mission_title=LONG_WORD,
        competences=[replace(samples.competences(1)[0], label_lv=LONG_WORD, label_en=LONG_WORD)]),
    "long-municipality-jpeg": lambda: samples.pseudonymous("lv", municipality="Dienvidkurzemes novads",
                                                           organisation_logo=samples.jpeg_logo()),
    "long-name-under-the-logo": lambda: samples.named("lv", organisation_logo=samples.png_logo(),
                                                      organisation_name=LONG_ORGANISATION),
    # Two pages: cut where WeasyPrint cuts, the running header and page numbers in the margins.
    "two-pages-bilingual": lambda: samples.long_certificate("bilingual", organisation_logo=samples.png_logo(),
                                                            signature_image=samples.png_signature()),
    "two-pages-closing-moves": lambda: samples.long_certificate("lv", competences=samples.competences(12)),
    "two-pages-long-title": lambda: samples.long_certificate("en", mission_title=" ".join([samples.LONG_TITLE] * 2)),
    "two-pages-header-of-two-lines": lambda: samples.long_certificate("bilingual", organisation_name=LONG_ORGANISATION,
                                                                      organisation_logo=samples.png_logo()),
    # SVG images are drawn by WeasyPrint at their size on the certificate and placed as PDF forms: the words of
    # the SVG logo are compared too.
    "svg-logo-and-signature": lambda: samples.named("bilingual", organisation_logo=samples.SVG_LOGO,
                                                    signature_image=samples.svg_emblem("#7a2f4f")),
}


@pytest.mark.parametrize("case", TYPESET_CASES)
def test_the_typeset_certificate_puts_every_word_where_weasyprint_does(renderer, case, tmp_path):
    """The typesetter reproduces the template and stylesheet: the same words on the same lines of the same pages,
    each within a point of where WeasyPrint puts it. A change to either side that the other does not follow fails
    here."""
    data = TYPESET_CASES[case]()
    typeset = renderer.typeset(data)  # raises if the certificate needed WeasyPrint
    assert renderer.render(data) == typeset
    expected = word_boxes(renderer.render_with_weasyprint(data), tmp_path, "weasyprint")
    actual = word_boxes(typeset, tmp_path, "typeset")
    assert sorted(actual) == sorted(expected)
    misplaced = [
        (word, theirs, ours)
        for word in expected
        for theirs, ours in zip(expected[word], actual[word], strict=True)
        if max(abs(a - b) for a, b in zip(theirs, ours)) > 1.0
    ]
    assert misplaced == []


LOOKS = {
    "png-images": lambda: samples.named("bilingual", organisation_logo=samples.png_logo(),
                                        signature_image=samples.png_signature()),
    "svg-images": lambda: samples.named("bilingual", organisation_logo=samples.svg_emblem(),
                                        signature_image=samples.svg_emblem("#7a2f4f")),
    "name-under-the-logo": lambda: samples.pseudonymous("en", organisation_logo=samples.png_logo(600, 150),
                                                        organisation_name=LONG_ORGANISATION),
}


def test_a_group_that_fits_only_by_its_own_padding_goes_to_the_next_page_as_in_weasyprint(renderer, tmp_path):
    """WeasyPrint 70 counts a block's bottom padding and border twice when it checks that the block fits the page;
    the typesetter does the same, or a competence group ending in those last few points would stay on the first
    page in one rendering and move in the other. The case is searched for among titles and competence lists."""
    from credentials import certificate_typeset
    from credentials.certificate import _group_competences, _Languages, _qr_picture

    words = samples.LONG_TITLE.split()
    for count, length in ((count, length) for count in range(8, 21) for length in range(1, len(words))):
        data = samples.named("bilingual", mission_title=" ".join(words[:length]),
                             competences=samples.competences(count))
        languages = _Languages(data.language, renderer.catalogue)
        flow = renderer.typesetter._lay_out(data, languages, _group_competences(data.competences, languages),
                                            _qr_picture(data.verify_url), None, None, languages.number(data.hours))
        ends = [block.y for block in flow.blocks[1:]] + [flow.bottom]
        if any(0 < block.below and certificate_typeset.CONTENT_BOTTOM - block.below < end
               <= certificate_typeset.CONTENT_BOTTOM for block, end in zip(flow.blocks, ends)):
            break
    else:
        pytest.fail("no certificate with a group ending in its own padding's width above the page bottom")
    expected = word_boxes(renderer.render_with_weasyprint(data), tmp_path, "weasyprint")
    actual = word_boxes(renderer.typeset(data), tmp_path, "typeset")
    assert sorted(actual) == sorted(expected)  # the same words on the same pages


@pytest.mark.parametrize("case", LOOKS)
def test_the_typeset_certificate_looks_like_weasyprints(renderer, case, tmp_path):
    """Rules, border, images and QR code too: wherever one rendering has ink (the faintest rule included), the
    other is not blank within a pixel at 100 dpi (anti-aliasing spreads a 0.6 pt rule differently over the rows)."""
    from PIL import ImageChops, ImageFilter

    data = LOOKS[case]()
    pages = [page_png(pdf, tmp_path, dpi=100).convert("L")
             for pdf in (renderer.typeset(data), renderer.render_with_weasyprint(data))]

    def ink_without_ink_nearby(picture, other):
        ink = picture.point(lambda value: 255 if value < 230 else 0)
        no_ink_nearby = other.filter(ImageFilter.MinFilter(3)).point(lambda value: 255 if value >= 250 else 0)
        return ImageChops.multiply(ink, no_ink_nearby).histogram()[255]

    assert ink_without_ink_nearby(pages[0], pages[1]) < 20
    assert ink_without_ink_nearby(pages[1], pages[0]) < 20


@pytest.mark.parametrize("reason, data", [
    ("three pages", lambda: samples.long_certificate("bilingual", mission_title=" ".join([samples.LONG_TITLE] * 3))),
    ("a paragraph split between pages",
     lambda: samples.named("lv", mission_title=" ".join([samples.LONG_TITLE] * 5))),
    ("an SVG logo WeasyPrint cannot read", lambda: samples.named("lv", organisation_logo=Image(
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle', "image/svg+xml"))),
    ("a script the bundled fonts lack", lambda: samples.named("lv", volunteer_name="שרה כהן")),
    ("a control character", lambda: samples.named("lv", volunteer_name="Anna\x0bBērziņa")),
])
def test_what_the_typesetter_cannot_set_weasyprint_renders(renderer, reason, data):
    data = data()
    with pytest.raises(NotTypesettable):
        renderer.typeset(data)
    pdf = renderer.render(data)
    assert pdf == renderer.render_with_weasyprint(data)
    assert extract_embedded_credential(pdf) == samples.signed_credential()
    if "\x0b" not in data.volunteer_name:
        assert data.volunteer_name in text_of(pdf)


def test_a_renderer_without_the_typesetter_renders_with_weasyprint():
    data = samples.named("lv")
    plain = CertificateRenderer(typeset=False)
    with pytest.raises(NotTypesettable):
        plain.typeset(data)
    assert plain.render(data) == plain.render_with_weasyprint(data) != CertificateRenderer().render(data)


# --- batches -------------------------------------------------------------------------------------------------------


def test_render_many_over_processes_matches_single_renders(renderer):
    items = [samples.named("lv"), samples.pseudonymous("en"), samples.named("bilingual")]
    assert render_many(items, processes=2) == [renderer.render(item) for item in items]
    assert render_many(items[:1], processes=1) == [renderer.render(items[0])]
    assert render_many([]) == []


def test_batches_share_one_pool_which_is_replaced_when_a_worker_dies(renderer):
    import os
    import signal

    items = [samples.named("lv"), samples.pseudonymous("en")]
    expected = [renderer.render(item) for item in items]
    assert render_many(items, processes=2) == expected
    pool = certificate.shared_pool(2)
    workers = set(pool._processes)
    assert render_many(items, processes=2) == expected
    assert certificate.shared_pool(2) is pool and set(pool._processes) == workers  # the same workers again

    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    assert render_many(items, processes=2) == expected
    assert certificate.shared_pool(2) is not pool
    certificate.shutdown_shared_pools()


def test_zip_holds_one_pdf_per_certificate():
    first = samples.named("lv")
    second = samples.named("en", credential_id="urn:uuid:7a0c1f52-9e4b-4c8e-b1d2-3f4a5b6c7d8e")
    archive = zipfile.ZipFile(io.BytesIO(zip_certificates([first, second], processes=1)))
    assert archive.namelist() == ["certificate-0d6c8e1a-3f0b-4d7e-9a55-8a1f2c7b9e41.pdf",
                                  "certificate-7a0c1f52-9e4b-4c8e-b1d2-3f4a5b6c7d8e.pdf"]
    assert extract_embedded_credential(archive.read(archive.namelist()[1])) == samples.signed_credential()
    with pytest.raises(ValueError, match="share the file name"):
        zip_certificates([first, first], processes=1)


def test_filenames_are_safe():
    assert certificate_filename(samples.named("lv", credential_id="https://x.lv/credentials/a b/../c")) \
        == "certificate-c.pdf"
    assert certificate_filename(samples.named("lv", credential_id="urn:uuid:")) == "certificate-certificate.pdf"


# --- input checks, set-up ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("changes, message", [
    ({"language": "de"}, "language must be one of"),
    ({"volunteer_name": None}, "a named volunteer needs a name"),
    ({"volunteer_name": "  "}, "a named volunteer needs a name"),
    ({"end_date": date(2024, 1, 1)}, "ends before it starts"),
    ({"hours": 0}, "hours must be a positive"),
    ({"hours": 4.5}, "hours must be a positive"),
    ({"hours": True}, "hours must be a positive"),
    ({"verify_url": "/v/123"}, "absolute http"),
])
def test_certificate_data_is_checked(changes, message):
    language = changes.pop("language", "lv")
    with pytest.raises(ValueError, match=message):
        samples.named(language, **changes)


def test_images_and_competences_are_checked():
    with pytest.raises(ValueError, match="media type"):
        Image(b"GIF89a", "image/gif")
    with pytest.raises(ValueError, match="empty"):
        Image(b"", "image/png")
    with pytest.raises(ValueError, match="attested_by"):
        CertificateCompetence(uri=samples.ESCO + "x", label_lv="a", label_en="a", attested_by="employer")
    with pytest.raises(ValueError, match="unknown key competence"):
        CertificateCompetence(uri=samples.ESCO + "x", label_lv="a", label_en="a", key_competences=("sport",))


def test_sample_competences_are_real_esco_skills():
    with open(REFERENCE / "esco" / "esco_volunteer_extract.csv", newline="", encoding="utf-8") as fh:
        labels = {row["uri"]: row["preferred_label_en"] for row in csv.DictReader(fh)}
    for competence in samples.competences(20):
        assert labels.get(competence.uri) == competence.label_en, competence.uri


def test_a_missing_harfbuzz_subset_is_logged_once(monkeypatch, caplog):
    import weasyprint.text.ffi

    monkeypatch.setattr(weasyprint.text.ffi, "harfbuzz_subset", None)
    monkeypatch.setattr(certificate, "_subset_warning_logged", False)
    with caplog.at_level(logging.WARNING, logger="credentials.certificate"):
        certificate._check_font_subsetting()
        certificate._check_font_subsetting()
    assert [r.message for r in caplog.records if "libharfbuzz-subset0" in r.message] == [
        "libharfbuzz-subset0 is missing: certificates render several times slower (fontTools subsetting)"]


def test_harfbuzz_subset_is_present_here():
    from weasyprint.text.ffi import harfbuzz_subset

    assert harfbuzz_subset is not None, "install libharfbuzz-subset0 (scripts/setup does)"


def test_certificate_messages_exist_in_both_languages():
    from base.i18n import messages

    keys = [key for key in messages().texts if key.startswith("certificate.")]
    assert len(certificate.key_competence_codes()) == 8  # group headings come from the catalogue's key competences
    for key in keys:
        text = messages().text(key)
        assert text.lv and text.en
