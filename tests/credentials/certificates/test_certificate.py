"""PDF certificates: what a reader sees (text, QR code, pages), what a machine reads (embedded credential, PDF/A)."""

from __future__ import annotations

import csv
import io
import json
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

from credentials.certificates import render as certificate
from credentials.certificates.render import (
    CertificateCache,
    CertificateCompetence,
    CertificateRenderer,
    EmbeddedCredentialError,
    Image,
    certificate_cache_key,
    certificate_filename,
    extract_embedded_credential,
    render_certificate,
    render_many,
    use_certificate_cache,
    zip_certificates,
)
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
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile", "-png", str(source), str(prefix)],
        check=True,
    )
    with PILImage.open(f"{prefix}.png") as picture:
        return picture.convert("RGB")


def qr_codes(pdf: bytes, tmp_path, page: int = 1) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(page_png(pdf, tmp_path, page))]


def red_pixels(picture: PILImage.Image) -> int:
    """How many pixels are clearly red (the sample logos' colour; nothing else on a certificate is red)."""
    colours = picture.getcolors(maxcolors=picture.width * picture.height)
    return sum(count for count, (r, g, b) in colours if r > 150 and g < 90 and b < 90)


def word_boxes(pdf: bytes, tmp_path) -> list[tuple[int, str, float, float, float, float]]:
    """Every word poppler finds: (page, text, left, top, right, bottom) in points."""
    import html

    source = tmp_path / "words.pdf"
    source.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-bbox", str(source), "-"], capture_output=True, text=True, check=True).stdout
    words = []
    for number, page in enumerate(out.split("<page ")[1:], 1):
        for match in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', page
        ):
            words.append((number, html.unescape(match[5]), *(float(match[i]) for i in (1, 2, 3, 4))))
    return words


#: The certificate's frame (A4, 13 mm margins), in points: text must stay between its sides.
FRAME_LEFT, FRAME_RIGHT, PAGE_HEIGHT = 13 / 25.4 * 72, (210 - 13) / 25.4 * 72, 297 / 25.4 * 72


def words_outside_the_frame(pdf: bytes, tmp_path) -> list[str]:
    """Words that reach past the frame's sides or off the page (a line too long to wrap, a box too wide)."""
    return [
        f"page {page}: {text}"
        for page, text, left, top, right, bottom in word_boxes(pdf, tmp_path)
        if left < FRAME_LEFT - 0.5 or right > FRAME_RIGHT + 0.5 or top < 0 or bottom > PAGE_HEIGHT
    ]


def mark_pixels(picture: PILImage.Image) -> int:
    """How many pixels have the light red of the status mark printed across a revoked or suspended certificate."""
    colours = picture.getcolors(maxcolors=picture.width * picture.height)
    return sum(count for count, (r, g, b) in colours if r > 225 and 185 <= g <= 215 and 180 <= b <= 212)


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
    headings = [
        "LITERACY COMPETENCE",
        "MULTILINGUAL COMPETENCE",
        "MATHEMATICAL COMPETENCE",
        "DIGITAL COMPETENCE",
        "PERSONAL, SOCIAL AND LEARNING TO LEARN COMPETENCE",
        "CITIZENSHIP COMPETENCE",
        "ENTREPRENEURSHIP COMPETENCE",
        "CULTURAL AWARENESS AND EXPRESSION COMPETENCE",
        "OTHER COMPETENCES",
    ]
    positions = [text.index(heading) for heading in headings]
    assert positions == sorted(positions)
    # Within a group, core competences come first.
    assert text.index("solve problems") < text.index("coordinate events")
    assert (
        text.index("LITERACY COMPETENCE")
        < text.index("communicate with elderly groups")
        < text.index("MULTILINGUAL COMPETENCE")
    )


def test_twenty_competences_and_a_long_title_continue_on_a_second_page_without_overflow(renderer, tmp_path):
    data = samples.long_certificate(
        "bilingual", organisation_logo=samples.png_logo(), signature_image=samples.png_signature()
    )
    pdf = renderer.render(data)
    assert page_count(pdf) == 2
    assert words_outside_the_frame(pdf, tmp_path) == []
    text = text_of(pdf)
    assert re.sub(r"\s+", " ", data.mission_title) in text
    assert len(data.competences) == 20
    for competence in data.competences:
        assert competence.label_lv in text and competence.label_en in text
    second = re.sub(r"\s+", " ", PdfReader(io.BytesIO(pdf)).pages[1].extract_text())
    assert "Anna Bērziņa · turpinājums / continued" in second
    assert "2/2" in second and data.signatory_name in second
    assert qr_codes(pdf, tmp_path, page=2) == [data.verify_url]  # with the signature, at the end


def test_long_words_wrap_inside_the_page(renderer, tmp_path):
    word = "Pašvaldībaspārvaldesbrīvprātīgodarbakoordinācijasnodaļa" * 2
    competence = replace(samples.competences(1)[0], label_lv=word, label_en=word)
    data = samples.named(
        "bilingual", organisation_name=word, volunteer_name=word, mission_title=word, competences=[competence]
    )
    pdf = renderer.render(data)
    assert words_outside_the_frame(pdf, tmp_path) == []
    assert text_of(pdf).replace(" ", "").count(word) >= 3  # wrapped, not cut off


def test_the_frame_check_sees_text_past_the_frame(tmp_path):
    from weasyprint import HTML

    pdf = HTML(string='<p style="margin: 0 0 0 150mm; white-space: nowrap">far too wide a line</p>').write_pdf()
    assert words_outside_the_frame(pdf, tmp_path)


def test_user_text_is_escaped(renderer):
    text = text_of(renderer.render(samples.named("lv", mission_title='<b>Talka</b> & "citi"')))
    assert '<b>Talka</b> & "citi"' in text


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
    report = pdf_validator.validate_pdf_bytes(pdf, profile=pdf_validator.ValidationProfile.PDF_A_3A)
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
    hostile = Image(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="{secret.as_uri()}" '
        'width="10" height="10"/></svg>'.encode(),
        "image/svg+xml",
    )
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


def test_pdf_is_tagged_pdfa_3a_and_pdfua_with_the_credential_as_associated_file(renderer):
    pdf = renderer.render(
        samples.named("bilingual", organisation_logo=samples.png_logo(), signature_image=samples.png_signature())
    )
    reader = PdfReader(io.BytesIO(pdf))
    catalog = reader.trailer["/Root"]

    metadata = catalog["/Metadata"].get_object()
    assert "/Filter" not in metadata  # PDF/A-2/3: the XMP stream is not compressed
    xmp = metadata.get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="A"' in xmp
    assert "<pdfuaid:part>1</pdfuaid:part>" in xmp
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

    # Tagged for screen readers: a structure tree in reading order, the pictures described.
    assert bool(catalog["/MarkInfo"]["/Marked"]) and catalog["/Lang"] == "lv"
    tags: list[str] = []
    alternatives: list[str] = []

    def walk(element):
        element = element.get_object()
        if "/S" in element:
            tags.append(element["/S"])
            if element["/S"] == "/Figure":
                alternatives.append(str(element.get("/Alt", "")))
        kids = element.get("/K", [])
        for kid in kids if isinstance(kids, list) else [kids]:
            if hasattr(kid, "get_object") and isinstance(kid.get_object(), dict):
                walk(kid)

    walk(catalog["/StructTreeRoot"])
    assert {"/H1", "/H2", "/H3", "/P", "/Figure"} <= set(tags)
    assert len(alternatives) == 3 and all(alternatives)  # logo, signature, QR code
    assert any(samples.VERIFY_URL in alternative for alternative in alternatives)

    # An independent validator (veraPDF, the reference, is Java and not packaged for PyPI or Debian here): both
    # PDF/A-3a and PDF/UA-1's machine-checkable rules.
    for profile in (pdf_validator.ValidationProfile.PDF_A_3A, pdf_validator.ValidationProfile.PDF_UA_1):
        report = pdf_validator.validate_pdf_bytes(pdf, profile=profile)
        assert report.is_compliant, [f"{failure.rule_id}: {failure.message}" for failure in report.failures]


def test_same_data_gives_the_same_bytes(renderer):
    data = samples.named("lv", organisation_logo=samples.png_logo())
    assert renderer.render(data) == CertificateRenderer().render(data)


def test_a_name_that_is_not_valid_xml_still_renders(renderer):
    data = samples.named("lv", volunteer_name="Anna\x0bBērziņa")  # a vertical tab pasted from a spreadsheet
    pdf = renderer.render(data)
    assert page_count(pdf) == 1 and extract_embedded_credential(pdf) == samples.signed_credential()


# --- certificates out of the ordinary ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case, data",
    [
        (
            "three pages",
            lambda: samples.long_certificate("bilingual", mission_title=" ".join([samples.LONG_TITLE] * 3)),
        ),
        (
            "a paragraph split between pages",
            lambda: samples.named("lv", mission_title=" ".join([samples.LONG_TITLE] * 5)),
        ),
        (
            "an SVG logo that cannot be read",
            lambda: samples.named(
                "lv",
                organisation_logo=Image(
                    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle', "image/svg+xml"
                ),
            ),
        ),
        ("a script the bundled fonts lack", lambda: samples.named("lv", volunteer_name="שרה כהן")),
        ("a control character", lambda: samples.named("lv", volunteer_name="Anna\x0bBērziņa")),
    ],
)
def test_certificates_out_of_the_ordinary_render_whole(renderer, case, data):
    data = data()
    pdf = renderer.render(data)
    assert extract_embedded_credential(pdf) == samples.signed_credential()
    if "\x0b" not in data.volunteer_name:
        assert data.volunteer_name in text_of(pdf)
    assert text_of(pdf).count(data.verify_url.rsplit("/", 1)[-1]) >= 1  # the closing part made it onto a page


# --- a credential no longer valid -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "language, status, words",
    [
        ("lv", "revoked", ["ATSAUKTS", "Izdevējs šo apliecinājumu ir atsaucis: tas vairs nav derīgs."]),
        ("en", "revoked", ["REVOKED", "The issuer has revoked this certificate: it is no longer valid."]),
        ("bilingual", "revoked", ["ATSAUKTS", "REVOKED", "tas vairs nav derīgs", "it is no longer valid"]),
        ("lv", "suspended", ["APTURĒTS", "Izdevējs šī apliecinājuma derīgumu ir apturējis."]),
        ("en", "suspended", ["SUSPENDED", "The issuer has suspended this certificate."]),
    ],
)
def test_a_revoked_or_suspended_credentials_certificate_says_so_across_the_page(
    renderer, language, status, words, tmp_path
):
    active = samples.named(language)
    marked = renderer.render(replace(active, status=status))
    text = text_of(marked)
    for word in words:
        assert word in text, word
    clean = text_of(renderer.render(active))
    assert not any(word in clean for word in words)
    assert mark_pixels(page_png(marked, tmp_path, dpi=50)) > 500  # large letters across the page
    assert mark_pixels(page_png(renderer.render(active), tmp_path, dpi=50)) == 0
    assert page_count(marked) == page_count(renderer.render(active)) == 1  # the layout stays as it was
    assert qr_codes(marked, tmp_path) == [active.verify_url]  # the mark does not hide the way to check
    assert extract_embedded_credential(marked) == samples.signed_credential()


def test_the_status_mark_is_on_every_page(renderer, tmp_path):
    pdf = renderer.render(samples.long_certificate("lv", status="revoked"))
    assert page_count(pdf) == 2
    for page in (1, 2):
        assert "ATSAUKTS" in PdfReader(io.BytesIO(pdf)).pages[page - 1].extract_text()
        assert mark_pixels(page_png(pdf, tmp_path, page=page, dpi=50)) > 500


def test_an_unknown_status_is_refused():
    with pytest.raises(ValueError, match="status must be one of"):
        samples.named("lv", status="expired")


# --- the cache of rendered certificates ----------------------------------------------------------------------------


@pytest.fixture
def cache(tmp_path):
    cache = CertificateCache(tmp_path / "certificates")
    use_certificate_cache(cache)
    yield cache
    use_certificate_cache(None)


def test_a_cached_certificate_is_the_rendered_one_and_is_not_rendered_again(renderer, cache):
    data = samples.named("lv", organisation_logo=samples.png_logo())
    first = render_certificate(data)
    assert first == renderer.render(data)
    key = certificate_cache_key(data)
    assert cache.get(key) == first
    cache.put(key, b"%PDF- the stored bytes")  # what is served comes from the cache, not from a new render
    assert render_certificate(data) == b"%PDF- the stored bytes"


def test_the_cache_key_changes_with_status_language_and_what_the_certificate_shows():
    data = samples.named("lv")
    key = certificate_cache_key(data)
    assert key == certificate_cache_key(samples.named("lv"))
    assert key.startswith("certificate-0d6c8e1a-3f0b-4d7e-9a55-8a1f2c7b9e41.lv.active.")
    others = {
        certificate_cache_key(replace(data, **change))
        for change in (
            {"status": "revoked"},
            {"status": "suspended"},
            {"language": "en"},
            {"language": "bilingual"},
            {"organisation_logo": samples.png_logo()},
            {"signatory_name": "Cits Vārds"},
            {"credential": b'{"id": "other"}'},
        )
    }
    assert len(others) == 7 and key not in others
    assert ".revoked." in certificate_cache_key(replace(data, status="revoked"))


def test_a_revoked_credential_is_rendered_anew_with_its_mark(cache):
    data = samples.named("lv")
    assert "ATSAUKTS" not in text_of(render_certificate(data))
    assert "ATSAUKTS" in text_of(render_certificate(replace(data, status="revoked")))
    assert "ATSAUKTS" not in text_of(render_certificate(data))  # reinstated (unsuspended): clean again


def test_the_cache_keeps_at_most_its_limit(tmp_path):
    cache = CertificateCache(tmp_path / "bounded", limit=10)
    for number in range(25):
        cache.put(f"key-{number}", b"%PDF-" + bytes([number]))
    kept = sorted(path.name for path in (tmp_path / "bounded").iterdir())
    assert len(kept) <= 10 + 1 and "key-24.pdf" in kept and "key-0.pdf" not in kept
    assert not [name for name in kept if name.endswith(".tmp")]
    assert CertificateCache(tmp_path / "nowhere").get("key") is None


def test_a_cache_that_cannot_be_written_still_gives_the_certificate(renderer, tmp_path, caplog):
    blocked = tmp_path / "not-a-directory"
    blocked.write_bytes(b"a file where the cache directory should be")
    use_certificate_cache(CertificateCache(blocked))
    try:
        data = samples.named("lv")
        with caplog.at_level("WARNING", logger="credentials.certificates.render"):
            assert render_certificate(data) == renderer.render(data)
            assert render_many([data, samples.named("en")], processes=1)[0] == renderer.render(data)
    finally:
        use_certificate_cache(None)
    assert "certificate cache not written" in caplog.text
    assert "Anna" not in caplog.text  # nothing of the certificate's content in the log


def test_batches_read_the_cache_and_fill_it(renderer, cache):
    items = [samples.named("lv"), samples.pseudonymous("en")]
    cache.put(certificate_cache_key(items[0]), b"%PDF- cached")
    assert render_many(items, processes=2) == [b"%PDF- cached", renderer.render(items[1])]
    assert cache.get(certificate_cache_key(items[1])) == renderer.render(items[1])


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
    workers = {pool.submit(os.getpid).result() for _ in range(20)}
    assert render_many(items, processes=2) == expected
    assert certificate.shared_pool(2) is pool  # the same pool again

    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    assert render_many(items, processes=2) == expected
    assert certificate.shared_pool(2) is not pool
    certificate.shutdown_shared_pools()


def test_zip_holds_one_pdf_per_certificate():
    first = samples.named("lv")
    second = samples.named("en", credential_id="urn:uuid:7a0c1f52-9e4b-4c8e-b1d2-3f4a5b6c7d8e")
    archive = zipfile.ZipFile(io.BytesIO(zip_certificates([first, second], processes=1)))
    assert archive.namelist() == [
        "certificate-0d6c8e1a-3f0b-4d7e-9a55-8a1f2c7b9e41.pdf",
        "certificate-7a0c1f52-9e4b-4c8e-b1d2-3f4a5b6c7d8e.pdf",
    ]
    assert extract_embedded_credential(archive.read(archive.namelist()[1])) == samples.signed_credential()
    with pytest.raises(ValueError, match="share the file name"):
        zip_certificates([first, first], processes=1)


def test_filenames_are_safe():
    assert (
        certificate_filename(samples.named("lv", credential_id="https://x.lv/credentials/a b/../c"))
        == "certificate-c.pdf"
    )
    assert certificate_filename(samples.named("lv", credential_id="urn:uuid:")) == "certificate-certificate.pdf"


# --- input checks, set-up ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"language": "de"}, "language must be one of"),
        ({"volunteer_name": None}, "a named volunteer needs a name"),
        ({"volunteer_name": "  "}, "a named volunteer needs a name"),
        ({"end_date": date(2024, 1, 1)}, "ends before it starts"),
        ({"hours": 0}, "hours must be a positive"),
        ({"hours": 4.5}, "hours must be a positive"),
        ({"hours": True}, "hours must be a positive"),
        ({"verify_url": "/v/123"}, "absolute http"),
    ],
)
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


def test_certificate_messages_exist_in_both_languages():
    from base.i18n import messages

    keys = [key for key in messages().texts if key.startswith("certificate.")]
    assert len(certificate.key_competence_codes()) == 8  # group headings come from the catalogue's key competences
    for key in keys:
        text = messages().text(key)
        assert text.lv and text.en
