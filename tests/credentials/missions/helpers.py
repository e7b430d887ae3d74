"""Shared by the mission tests: a mission in the recent past (so that its work can be attested), lists of
volunteers as coordinators paste them."""

from __future__ import annotations

from datetime import timedelta

from credentials.common import today_in_latvia

FESTIVAL_TYPE = "event-support"


def festival_dates() -> tuple[str, str]:
    start = today_in_latvia() - timedelta(days=40)
    return start.isoformat(), (start + timedelta(days=2)).isoformat()


def festival_body(**changes) -> dict:
    start, end = festival_dates()
    body = {
        "mission_type": FESTIVAL_TYPE,
        "title": "Jāņu festivāls",
        "municipality": "Cēsu novads",
        "start_date": start,
        "end_date": end,
        "planned_volunteers": 120,
        "visibility": "public",
    }
    body.update(changes)
    return body


def create_mission(client, org, who: str = "token", **changes) -> dict:
    response = client.post("/missions", json=festival_body(**changes), headers=org.headers(who))
    assert response.status_code == 201, response.text
    return response.json()


def pasted(count: int, start: int = 0) -> str:
    return "\n".join(f"Brīvprātīgais Nr. {i}, vol{i}@example.lv" for i in range(start, start + count))
