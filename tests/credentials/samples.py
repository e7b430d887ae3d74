"""Realistic certificate data for tests and the certificate benchmark: a Latvian NGO, real ESCO v1.2.0 URIs (all from
`shared/reference/esco/esco_volunteer_extract.csv`; the Latvian labels are our translations, ESCO's are not bundled)."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

from credentials.certificates.render import CertificateCompetence, CertificateData, Image

ESCO = "http://data.europa.eu/esco/skill/"

# (ESCO id, Latvian label, English label = ESCO preferred label, key competence, core, attested by)
COMPETENCES: list[tuple[str, str, str, str, bool, str]] = [
    (
        "60c78287-22eb-4103-9c8c-28deaa460da0",
        "darbs komandā",
        "work in teams",
        "personal-social-learning",
        True,
        "organiser",
    ),
    (
        "1d21f6ad-340f-45da-a0a3-4e83867f47a6",
        "pirmās palīdzības sniegšana",
        "provide first aid",
        "personal-social-learning",
        True,
        "organiser",
    ),
    (
        "77b636e8-fab3-41a8-8022-1e0a354059dc",
        "empātijas izrādīšana",
        "show empathy",
        "personal-social-learning",
        True,
        "organiser",
    ),
    (
        "9aa2a1cb-37a6-4f3b-9610-0dadee1ec8ed",
        "saziņa ar senioru grupām",
        "communicate with elderly groups",
        "literacy",
        True,
        "organiser",
    ),
    (
        "2111dff8-f830-46ad-80ce-7885893b3134",
        "pasākumu koordinēšana",
        "coordinate events",
        "entrepreneurship",
        False,
        "organiser",
    ),
    (
        "7d9bace0-63d0-4848-ac87-350a98082c12",
        "aktīva līdzdalība pilsoniskajā dzīvē",
        "participate actively in civic life",
        "citizenship",
        True,
        "organiser",
    ),
    (
        "0ee9e985-0ee5-4a73-8a12-78b53b261bb2",
        "mutiska saziņa angļu valodā",
        "interact verbally in English",
        "multilingual",
        False,
        "self",
    ),
    (
        "b080a008-a35d-4bd0-92e9-edf3773bb2b7",
        "saziņas un sadarbības programmatūras lietošana",
        "use communication and collaboration software",
        "digital",
        False,
        "organiser",
    ),
    (
        "d822b4b2-26c7-4bd9-970d-229c6504f615",
        "digitālā satura veidošana",
        "create digital content",
        "digital",
        False,
        "self",
    ),
    (
        "d9013e0e-e937-43d5-ab71-0e917ee882b8",
        "laika plānošana",
        "manage time",
        "personal-social-learning",
        False,
        "organiser",
    ),
    (
        "adc6dc11-3376-467b-96c5-9b0a21edc869",
        "problēmu risināšana",
        "solve problems",
        "entrepreneurship",
        True,
        "organiser",
    ),
    (
        "526a0eaa-2bee-4e80-989f-cb36f9fbee47",
        "līdzekļu piesaistes pasākumu īstenošana",
        "perform fundraising activities",
        "entrepreneurship",
        False,
        "organiser",
    ),
    (
        "8abdc43c-2bfd-417c-97c2-27fcdaf53171",
        "vides apziņas veicināšana",
        "promote environmental awareness",
        "citizenship",
        False,
        "organiser",
    ),
    ("110d7aa3-e44e-4cce-a927-8d4de615f3d9", "atkritumu šķirošana", "sort waste", "citizenship", False, "organiser"),
    (
        "98a999db-72d5-4657-a0b0-2f850afd4368",
        "dažādu kultūras un mākslas izpausmju novērtēšana",
        "appreciate diverse cultural and artistic expression",
        "cultural-awareness",
        False,
        "organiser",
    ),
    (
        "925ac396-118c-4a07-b4c2-31eb519e2268",
        "kultūras aktivitāšu izstrāde",
        "develop cultural activities",
        "cultural-awareness",
        False,
        "self",
    ),
    ("19ba11f3-9c99-41fd-a7c9-f77e6a026186", "aprēķinu veikšana", "carry out calculations", "stem", False, "organiser"),
    ("be6ab363-3de1-427f-a8ef-85d5b0250822", "faktu ziņošana", "report facts", "literacy", False, "organiser"),
    (
        "609a8ac1-9d29-4237-9886-596dbbe7ca8a",
        "uzstāšanās auditorijas priekšā",
        "address an audience",
        "literacy",
        False,
        "self",
    ),
    ("1f1d2ff8-c4c1-45cc-9812-6a7ee84a73cb", "komandas vadīšana", "lead a team", "", False, "organiser"),
]


def competences(count: int = 6) -> list[CertificateCompetence]:
    return [
        CertificateCompetence(
            uri=ESCO + esco_id,
            label_lv=lv,
            label_en=en,
            core=core,
            attested_by=attested_by,
            key_competences=(key,) if key else (),
        )
        for esco_id, lv, en, key, core, attested_by in COMPETENCES[:count]
    ]


CREDENTIAL_ID = "urn:uuid:0d6c8e1a-3f0b-4d7e-9a55-8a1f2c7b9e41"
VERIFY_URL = "https://apliecinajumi.example.lv/v/0d6c8e1a-3f0b-4d7e-9a55-8a1f2c7b9e41"


def signed_credential(name: str = "Anna Bērziņa") -> dict:
    """A signed OpenBadgeCredential as the issuing layer produces it (the proof value is a placeholder)."""
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": CREDENTIAL_ID,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": "did:web:apliecinajumi.example.lv:org:samariesi",
            "type": ["Profile"],
            "name": "Biedrība „Latvijas Samariešu apvienība”",
        },
        "validFrom": "2024-09-15T10:00:00Z",
        "name": "Brīvprātīgā darba apliecinājums",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": "sha256$0b1c6cbbd3d3ac2a8f1bb3a32e8a4d96a1c1a5b4f3e2d1c0b9a8f7e6d5c4b3a2",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": "Zk9vYmFy",
                }
            ],
            "achievement": {
                "id": "urn:uuid:6b1f0a2e-4c3d-4e5f-8a9b-0c1d2e3f4a5b",
                "type": ["Achievement"],
                "achievementType": "ext:CommunityService",
                "name": "Palīdzība senioriem Rīgas Samariešu dienas centrā",
                "description": f"{name}: brīvprātīgais darbs, 42 stundas.",
                "criteria": {"narrative": "Brīvprātīgais darbs, ko apstiprinājusi organizācija."},
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": "work in teams",
                        "targetUrl": ESCO + COMPETENCES[0][0],
                        "targetFramework": "ESCO",
                    },
                ],
            },
        },
        "proof": {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "created": "2024-09-15T10:00:00Z",
            "verificationMethod": "did:web:apliecinajumi.example.lv:org:samariesi#key-1",
            "proofPurpose": "assertionMethod",
            "proofValue": "z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk9czhSePTFehP8c3PGfb6a22gkfUKKFpXJRJXs8Z6yvG5",
        },
    }


def named(language: str = "lv", **changes) -> CertificateData:
    data = CertificateData(
        language=language,
        organisation_name="Biedrība „Latvijas Samariešu apvienība”",
        organisation_reg_no="40008002279",
        signatory_name="Ilze Kļaviņa",
        signatory_position="Brīvprātīgo koordinatore",
        volunteer_name="Anna Bērziņa",
        mission_title="Palīdzība senioriem Rīgas Samariešu dienas centrā",
        role="Sarunu biedre un pastaigu pavadone",
        mission_type_lv="Sociālā aprūpe un atbalsts senioriem",
        mission_type_en="Social care and support for the elderly",
        municipality="Rīga",
        start_date=date(2024, 6, 3),
        end_date=date(2024, 8, 30),
        hours=42,
        competences=competences(6),
        catalogue_version="1.0.0",
        issue_date=date(2024, 9, 15),
        credential_id=CREDENTIAL_ID,
        verify_url=VERIFY_URL,
        credential=signed_credential(),
    )
    return replace(data, **changes) if changes else data


def pseudonymous(language: str = "lv", **changes) -> CertificateData:
    base = named(
        language,
        volunteer_name=None,
        pseudonymous=True,
        volunteer_reference="VK-7Q4M-2XJD",
        role=None,
        hours=Decimal("12.5"),
        mission_title="Talka Ķemeru nacionālajā parkā: pļavu un taku kopšana",
        mission_type_lv="Vides aizsardzība un dzīvnieku aprūpe",
        mission_type_en="Environment and animal welfare",
        municipality="Jūrmala",
        start_date=date(2024, 4, 20),
        end_date=date(2024, 4, 27),
        competences=[c for c in competences(14) if c.key_competences[0] in ("citizenship", "personal-social-learning")],
    )
    return replace(base, **changes) if changes else base


def long_certificate(language: str = "bilingual", **changes) -> CertificateData:
    """Twenty competences and a very long title: more than one page must hold it."""
    values = dict(
        mission_title=LONG_TITLE,
        competences=competences(20),
        hours=Decimal("186.5"),
        start_date=date(2023, 9, 1),
        end_date=date(2024, 8, 31),
    )
    return named(language, **{**values, **changes})


LONG_TITLE = (
    "Ilgtermiņa brīvprātīgais darbs Latvijas Samariešu apvienības sociālās aprūpes centros Rīgā, Jūrmalā "
    "un Ogrē: senioru ikdienas atbalsts, pirmās palīdzības apmācību organizēšana, labdarības pasākumu un "
    "ziedojumu vākšanas kampaņu koordinēšana, digitālo prasmju nodarbības un brīvprātīgo komandas "
    "ikdienas vadīšana visa gada garumā"
)


#: A mission title with every Latvian letter, lower and upper case: ā č ē ģ ī ķ ļ ņ š ū ž.
LATVIAN_TITLE = (
    "Ķekavas ģimeņu atbalsts: ēdiena gatavošana, žogu krāsošana un čaklu rūķu darbnīca ļoti "
    "dzīvespriecīgiem bērniem (ĀČĒĢĪĶĻŅŠŪŽ)"
)


def png_logo(width: int = 240, height: int = 240) -> Image:
    """A made-up emblem (no real organisation's logo): a red cross on a white disc in a navy ring."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    picture = PILImage.new("RGBA", (width, height), (255, 255, 255, 0))
    draw = ImageDraw.Draw(picture)
    draw.ellipse((4, 4, width - 4, height - 4), fill=(28, 53, 83, 255))
    draw.ellipse((22, 22, width - 22, height - 22), fill=(255, 255, 255, 255))
    arm, length = width // 7, width // 2 - 40
    cx, cy = width // 2, height // 2
    draw.rectangle((cx - arm, cy - length, cx + arm, cy + length), fill=(200, 32, 45, 255))
    draw.rectangle((cx - length, cy - arm, cx + length, cy + arm), fill=(200, 32, 45, 255))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return Image(buffer.getvalue(), "image/png")


def jpeg_logo() -> Image:
    """The same emblem as a wide JPEG (a photo-like logo, embedded as it is)."""
    from PIL import Image as PILImage

    wide = PILImage.new("RGB", (480, 240), (255, 255, 255))
    with PILImage.open(io.BytesIO(png_logo().data)) as emblem:
        wide.paste(emblem, (0, 0), emblem)
    buffer = io.BytesIO()
    wide.save(buffer, format="JPEG", quality=90)
    return Image(buffer.getvalue(), "image/jpeg")


SVG_LOGO = Image(
    """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 100" width="360" height="100">
  <circle cx="50" cy="50" r="46" fill="#1c3553"/>
  <path d="M40 18h20v22h22v20H60v22H40V60H18V40h22z" fill="#ffffff"/>
  <text x="112" y="46" font-family="sans-serif" font-size="30" fill="#1c3553">Samariešu</text>
  <text x="112" y="80" font-family="sans-serif" font-size="22" fill="#c8202d">apvienība</text>
</svg>""".encode(),
    "image/svg+xml",
)


def svg_emblem(colour: str = "#2f7d4f") -> Image:
    """The demo organisations' SVG emblem (shapes only, one of them translucent)."""
    from volcred.demo import LOGO_SVG

    return Image(LOGO_SVG.format(bg=colour).encode(), "image/svg+xml")


def png_signature() -> Image:
    """A handwritten-looking stroke on a transparent background."""
    import math

    from PIL import Image as PILImage
    from PIL import ImageDraw

    picture = PILImage.new("RGBA", (600, 180), (255, 255, 255, 0))
    draw = ImageDraw.Draw(picture)
    points = [(30 + x * 2.7, 100 - 45 * math.sin(x / 11) * math.exp(-x / 260) - (x % 37) * 0.6) for x in range(200)]
    draw.line(points, fill=(24, 40, 110, 255), width=5, joint="curve")
    draw.line([(60, 140), (520, 128)], fill=(24, 40, 110, 255), width=3)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return Image(buffer.getvalue(), "image/png")
