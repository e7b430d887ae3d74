"""HTTP adapter of missions (JSON): missions, the volunteers on them, their hours and statuses, and issuing.

Bearer token (an organisation's API token or a person's session), as `POST /records`. Another organisation's
missions answer 404; a caller who may read but not write gets 403.
"""

from __future__ import annotations

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy.orm import Session

from base.http import LanguageDep, SessionDep
from credentials.batches.api import batch_view, read_upload_file, wake_runner
from credentials.http import StrictInput, caller_organisation
from credentials.missions import lifecycle
from credentials.missions import service as missions
from credentials.missions.missions import HoursInput, MissionInput, SessionInput
from credentials.missions.store import MissionRow
from credentials.records.api import VolunteerBody
from credentials.records.records import format_hours
from issuers.http import IssuerContextDep, PrincipalDep

router = APIRouter(tags=["missions"])


class MissionBody(StrictInput):
    mission_type: str = Field(description="A mission type code of the catalogue (see /catalogue/mission-types).")
    title: str | None = Field(None, description="Default: the mission type's name.")
    municipality: str
    start_date: str
    end_date: str | None = Field(None, description="None: a regular activity without a planned end.")
    planned_volunteers: int | str | None = None
    visibility: str = Field("closed", description="`public` or `closed`.")
    competences: list[str] | None = Field(None, description="ESCO URIs; default: the mission type's core ones.")
    language: str = "lv"
    organisation: str | None = Field(None, description="The organisation's slug (for a person in several).")

    def as_input(self) -> MissionInput:
        return MissionInput(**self.model_dump(exclude={"organisation"}))


class MissionEdit(StrictInput):
    """Only the fields given change (a new mission type without competences brings its core competences)."""

    mission_type: str | None = None
    title: str | None = None
    municipality: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    planned_volunteers: int | str | None = None
    visibility: str | None = None
    competences: list[str] | None = None
    language: str | None = None

    def changes(self) -> dict:
        return self.model_dump(exclude_unset=True)


def mission_view(row: MissionRow, base_url: str, counts: missions.MissionCounts | None = None) -> dict:
    view = {
        "id": row.id,
        "status": row.status,
        "mission_type": row.mission_type,
        "title": row.title,
        "municipality": row.municipality,
        "start_date": row.start_date.isoformat(),
        "end_date": row.end_date.isoformat() if row.end_date else None,
        "planned_volunteers": row.planned_volunteers,
        "visibility": row.visibility,
        "competences": list(row.competences),
        "language": row.language,
        "catalogue_version": row.catalogue_version,
        "copied_from": row.copied_from,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "url": f"{base_url}/missions/{row.id}",
    }
    if counts is not None:
        view["counts"] = {
            "volunteers": counts.volunteers,
            "by_status": {status: counts.by_status.get(status, 0) for status in lifecycle.STATUSES},
            "hours": format_hours(counts.hours),
            "issued": counts.issued,
        }
    return view


def _one_mission_view(session: Session, row: MissionRow, base_url: str) -> dict:
    view = mission_view(row, base_url, missions.mission_counts(session, [row.id]).get(row.id, missions.MissionCounts()))
    batch_id = missions.latest_batch(session, row.id)
    view["latest_batch"] = f"{base_url}/batches/{batch_id}" if batch_id else None
    return view


@router.post("/missions", status_code=201, summary="Create a mission (an event or a regular activity)")
def create_mission(body: MissionBody, session: SessionDep, ctx: IssuerContextDep, principal: PrincipalDep):
    org = caller_organisation(session, principal, body.organisation)
    return _one_mission_view(session, missions.create_mission(session, principal, org, body.as_input()), ctx.base_url)


@router.get("/missions", summary="The organisation's missions, newest first (paginated)")
def list_missions(
    session: SessionDep,
    ctx: IssuerContextDep,
    principal: PrincipalDep,
    status: str | None = Query(None, pattern="^(open|closed)$"),
    limit: int = Query(missions.PAGE_SIZE, ge=1, le=missions.MAX_PAGE_SIZE),
    offset: int = Query(0, ge=0),
    organisation: str | None = Query(None),
):
    org = caller_organisation(session, principal, organisation)
    rows, total = missions.list_missions(session, principal, org, status, limit, offset)
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "missions": [mission_view(row, ctx.base_url, counts) for row, counts in rows],
    }


@router.get("/missions/{mission_id}", summary="A mission with its counts")
def read_mission(mission_id: str, session: SessionDep, ctx: IssuerContextDep, principal: PrincipalDep):
    return _one_mission_view(session, missions.get_mission(session, principal, mission_id), ctx.base_url)


@router.patch("/missions/{mission_id}", summary="Edit a mission (only the fields given change)")
def edit_mission(
    mission_id: str, body: MissionEdit, session: SessionDep, ctx: IssuerContextDep, principal: PrincipalDep
):
    row = missions.update_mission(session, principal, mission_id, body.changes())
    return _one_mission_view(session, row, ctx.base_url)


@router.post("/missions/{mission_id}/copy", status_code=201, summary="A new mission made from this one")
def copy_mission(
    mission_id: str,
    session: SessionDep,
    ctx: IssuerContextDep,
    principal: PrincipalDep,
    body: MissionEdit | None = None,
):
    row = missions.copy_mission(session, principal, mission_id, body.changes() if body else {})
    return _one_mission_view(session, row, ctx.base_url)


@router.post("/missions/{mission_id}/close", summary="Close a mission (no new volunteers; issuing goes on)")
def close_mission(mission_id: str, session: SessionDep, ctx: IssuerContextDep, principal: PrincipalDep):
    return _one_mission_view(session, missions.close_mission(session, principal, mission_id), ctx.base_url)


@router.post("/missions/{mission_id}/reopen", summary="Reopen a closed mission")
def reopen_mission(mission_id: str, session: SessionDep, ctx: IssuerContextDep, principal: PrincipalDep):
    return _one_mission_view(session, missions.reopen_mission(session, principal, mission_id), ctx.base_url)


# --- volunteers ---------------------------------------------------------------------------------------------------


def participant_view(session: Session, item: missions.ParticipantView, base_url: str, sessions: bool = False) -> dict:
    row = item.participation
    view = {
        "id": row.id,
        "volunteer": {"id": row.volunteer_id, "kind": item.kind, "name": item.name, "email": item.email},
        "status": row.status,
        "role": row.role,
        "hours": format_hours(row.hours) if row.hours is not None else None,
        "hours_by_sessions": row.by_sessions,
        "record_id": row.record_id,
        "record_status": item.record_status,
        "credential_id": item.credential_id,
        "verify_url": f"{base_url}/v/{item.credential_id}" if item.credential_id else None,
    }
    if sessions:
        view["sessions"] = [
            {"date": s.day.isoformat(), "hours": format_hours(s.hours), "note": s.note}
            for s in missions.hours_sessions(session, row.id)
        ]
    return view


def _participant(session: Session, principal, mission_id: str, participation_id: str, base_url: str) -> dict:
    rows, _ = missions.list_participants(session, principal, mission_id, participation_id=participation_id)
    if not rows:
        missions.get_participation(session, principal, mission_id, participation_id)  # raises the 404
    return participant_view(session, rows[0], base_url, sessions=True)


@router.get("/missions/{mission_id}/volunteers", summary="The mission's volunteers (paginated)")
def list_volunteers(
    mission_id: str,
    session: SessionDep,
    ctx: IssuerContextDep,
    principal: PrincipalDep,
    status: str | None = Query(None, pattern="^(new|approved|active|finished)$"),
    limit: int = Query(missions.PAGE_SIZE, ge=1, le=missions.MAX_PAGE_SIZE),
    offset: int = Query(0, ge=0),
):
    rows, total = missions.list_participants(session, principal, mission_id, status, limit, offset)
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "volunteers": [participant_view(session, item, ctx.base_url) for item in rows],
    }


class AddVolunteerBody(StrictInput):
    volunteer: VolunteerBody | None = Field(
        None, description="A name (and e-mail) or the pseudonym they keep; none: a new pseudonym is made here."
    )
    role: str | None = None


def _added_view(session: Session, ctx, principal, mission_id: str, added: missions.AddedVolunteer) -> dict:
    view = _participant(session, principal, mission_id, added.participation.id, ctx.base_url)
    view["added"] = added.added
    if added.access_token:
        view["volunteer_link"] = f"{ctx.base_url}/me/{added.access_token}"  # shown once
    if added.pseudonym:
        view["pseudonym"] = added.pseudonym  # shown once: the volunteer keeps it
    return view


@router.post("/missions/{mission_id}/volunteers", summary="Add a volunteer (201; 200 when already on the mission)")
def add_volunteer(
    mission_id: str,
    body: AddVolunteerBody,
    session: SessionDep,
    ctx: IssuerContextDep,
    principal: PrincipalDep,
):
    volunteer = body.volunteer.as_input() if body.volunteer else None
    added = missions.add_volunteer(session, principal, ctx, mission_id, volunteer, body.role)
    return JSONResponse(
        _added_view(session, ctx, principal, mission_id, added), status_code=201 if added.added else 200
    )


class ListBody(StrictInput):
    text: str = Field(description="One volunteer a line: name, or name, e-mail[, role]; or CSV with a header.")


def _list_view(session: Session, ctx, principal, mission_id: str, result: missions.AddedList) -> dict:
    return {
        "lines": result.lines,
        "added": len(result.added),
        "already": result.already,
        "volunteers": [_added_view(session, ctx, principal, mission_id, added) for added in result.added],
    }


@router.post("/missions/{mission_id}/volunteers/list", summary="Add a pasted list of volunteers (all lines or none)")
def add_list(mission_id: str, body: ListBody, session: SessionDep, ctx: IssuerContextDep, principal: PrincipalDep):
    result = missions.add_volunteer_list(session, principal, ctx, mission_id, text=body.text)
    return _list_view(session, ctx, principal, mission_id, result)


@router.post(
    "/missions/{mission_id}/volunteers/upload",
    summary="Add volunteers from a CSV or XLSX (volunteer_name, volunteer_email, volunteer_pseudonym, role)",
)
def upload_list(
    mission_id: str,
    session: SessionDep,
    ctx: IssuerContextDep,
    principal: PrincipalDep,
    file: UploadFile = File(...),
):
    content = read_upload_file(file)
    result = missions.add_volunteer_list(session, principal, ctx, mission_id, content=content, filename=file.filename)
    return _list_view(session, ctx, principal, mission_id, result)


@router.get("/missions/{mission_id}/volunteers/{participation_id}", summary="A volunteer on the mission, with sessions")
def read_volunteer(
    mission_id: str, participation_id: str, session: SessionDep, ctx: IssuerContextDep, principal: PrincipalDep
):
    return _participant(session, principal, mission_id, participation_id, ctx.base_url)


class SessionBody(StrictInput):
    date: str
    hours: float | int | str
    note: str | None = None


class HoursBody(StrictInput):
    hours: float | int | str | None = Field(None, description="The total; or give `sessions` instead.")
    sessions: list[SessionBody] | None = Field(None, description="Sessions that add up to the total.")


@router.put("/missions/{mission_id}/volunteers/{participation_id}/hours", summary="Enter hours: a total or sessions")
def set_hours(
    mission_id: str,
    participation_id: str,
    body: HoursBody,
    session: SessionDep,
    ctx: IssuerContextDep,
    principal: PrincipalDep,
):
    data = HoursInput(
        hours=None if body.hours is None else str(body.hours),
        sessions=None
        if body.sessions is None
        else [SessionInput(item.date, str(item.hours), item.note) for item in body.sessions],
    )
    missions.set_hours(session, principal, mission_id, participation_id, data)
    return _participant(session, principal, mission_id, participation_id, ctx.base_url)


class ParticipationEdit(StrictInput):
    role: str | None = None


@router.patch("/missions/{mission_id}/volunteers/{participation_id}", summary="Change a volunteer's role")
def edit_volunteer(
    mission_id: str,
    participation_id: str,
    body: ParticipationEdit,
    session: SessionDep,
    ctx: IssuerContextDep,
    principal: PrincipalDep,
):
    missions.set_role(session, principal, mission_id, participation_id, body.role)
    return _participant(session, principal, mission_id, participation_id, ctx.base_url)


@router.delete(
    "/missions/{mission_id}/volunteers/{participation_id}", status_code=204, summary="Take a volunteer off the mission"
)
def remove_volunteer(mission_id: str, participation_id: str, session: SessionDep, principal: PrincipalDep):
    missions.remove_participation(session, principal, mission_id, participation_id)
    return Response(status_code=204)


class StatusesBody(StrictInput):
    action: str = Field(description="`approve`, `start`, `finish` or `reopen`.")
    ids: list[str] | None = Field(None, description="Only these volunteers; default: everyone who can take the step.")


@router.post("/missions/{mission_id}/volunteers/status", summary="One step for everyone who can take it")
def change_statuses(mission_id: str, body: StatusesBody, session: SessionDep, principal: PrincipalDep):
    result = missions.change_statuses(session, principal, mission_id, body.action, body.ids)
    return {"changed": result.changed, "skipped": result.skipped}


@router.post(
    "/missions/{mission_id}/volunteers/{participation_id}/{action}",
    summary="One step of a volunteer's statuses: approve, start, finish, reopen",
)
def change_status(
    mission_id: str,
    participation_id: str,
    action: str,
    session: SessionDep,
    ctx: IssuerContextDep,
    principal: PrincipalDep,
):
    if action == "issue":
        issued = missions.issue_participation(session, principal, ctx, mission_id, participation_id)
        view = _participant(session, principal, mission_id, participation_id, ctx.base_url)
        view["credential_id"] = issued.credential.id
        view["verify_url"] = f"{ctx.base_url}/v/{issued.credential.id}"
        return JSONResponse(view, status_code=201)
    missions.change_status(session, principal, mission_id, participation_id, action)
    return _participant(session, principal, mission_id, participation_id, ctx.base_url)


@router.post(
    "/missions/{mission_id}/issue",
    status_code=202,
    summary="Issue everyone finished and not yet issued, as a batch (follow it at GET /batches/{id})",
)
def issue_all(
    mission_id: str,
    request: Request,
    lang: LanguageDep,
    session: SessionDep,
    ctx: IssuerContextDep,
    principal: PrincipalDep,
):
    batch = missions.issue_all(session, principal, mission_id)
    view = batch_view(session, batch, ctx.base_url, lang)
    wake_runner(request, session)
    return JSONResponse(view, status_code=202, headers={"Location": view["url"]})
