"""Request validation errors speak the request's language: pydantic's English never reaches a Latvian reader."""

from __future__ import annotations

import pytest


def field_messages(answer) -> dict[str, str]:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    return {error["field"]: error["message"] for error in answer.json()["errors"]}


@pytest.mark.parametrize(
    "lang, expected",
    [
        (
            "lv",
            {
                "volunteer": "Šis lauks ir obligāts.",
                "mission_type": "Jābūt tekstam.",
                "evidence": "Jābūt sarakstam ([…]).",
            },
        ),
        (
            "en",
            {
                "volunteer": "This field is required.",
                "mission_type": "Must be text.",
                "evidence": "Must be a list ([…]).",
            },
        ),
    ],
)
def test_record_field_errors_in_the_request_language(client, make_org, lang, expected):
    org = make_org("validation-org")
    answer = client.post(f"/records?lang={lang}", json={"mission_type": 5, "evidence": "a link"}, headers=org.headers())
    messages = field_messages(answer)
    for field, text in expected.items():
        assert messages[field] == text
    assert answer.json()["title"] == ("Nederīgs pieprasījums" if lang == "lv" else "Invalid request")


def test_broken_json_and_bad_flags_are_explained_in_latvian(client, make_org):
    org = make_org("validation-org")
    broken = client.post(
        "/records", content=b'{"volunteer": ', headers={**org.headers(), "Content-Type": "application/json"}
    )
    assert list(field_messages(broken).values()) == [
        "Pieprasījuma saturs nav derīgs JSON: pārbaudiet pēdiņas, komatus un iekavas."
    ]
    flag = client.post("/batches?dry_run=perhaps", headers=org.headers(), files={"file": ("a.csv", b"x")})
    assert field_messages(flag) == {"query.dry_run": "Jābūt true vai false."}
    english = client.post(
        "/batches?dry_run=perhaps", headers={**org.headers(), "Accept-Language": "en"}, files={"file": ("a.csv", b"x")}
    )
    assert field_messages(english) == {"query.dry_run": "Must be true or false."}


def test_no_pydantic_text_is_passed_through(client, make_org):
    org = make_org("validation-org")
    answer = client.post(
        "/records",
        json={"volunteer": "x", "hours": [1], "start_date": 1},
        headers={**org.headers(), "Accept-Language": "lv"},
    )
    for error in answer.json()["errors"]:
        assert error["message"] == error["message_lv"] != error["message_en"]
        for english in ("Field required", "Input should", "valid", "Value error"):
            assert english not in error["message"]


def test_every_mapped_type_has_both_languages():
    from base.i18n import messages
    from volcred.problems import VALIDATION_MESSAGES

    for key, _limit in VALIDATION_MESSAGES.values():
        text = messages().texts[key]
        assert text.lv and text.en and text.lv != text.en
