"""Shared by the credentials and verify tests: issuing real credentials through the API."""

from __future__ import annotations

from catalogue import load_catalogue


def record_body(mission=None, **changes) -> dict:
    mission = mission or load_catalogue().mission_types[0]
    body = {
        "volunteer": {"name": "Kārlis Ozoliņš", "email": "karlis@example.lv"},
        "mission_type": mission.code,
        "title": "Jāņu festivāla brīvprātīgais",
        "municipality": "Cēsu novads",
        "start_date": "2026-06-20",
        "end_date": "2026-06-24",
        "hours": 42,
        "role": "Informācijas punkts",
        "narrative": "Palīdzēja apmeklētājiem.",
    }
    body.update(changes)
    return body


def issue(client, org, body=None) -> tuple[dict, dict]:
    created = client.post("/records", json=body or record_body(), headers=org.headers())
    assert created.status_code == 201, created.text
    issued = client.post(f"/records/{created.json()['id']}/issue", headers=org.headers())
    assert issued.status_code == 201, issued.text
    return created.json(), issued.json()
