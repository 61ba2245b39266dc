"""Candidates, by the job centre's external id: read, create and update (PUT). Never a CPR number."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import Candidate, User
from matchapp.services import accounts, locks
from matchapp.services.errors import MatchappError
from matchapp.web.api.access import acting_user, candidate_or_404, jobcenter_id, refuse, scoped
from matchapp.web.api.blueprint import bp
from matchapp.web.api.etags import check_if_match, etag_of
from matchapp.web.api.pages import page_of
from matchapp.web.api.schemas import CPR, EXTERNAL_ID_RE, CandidateIn, CandidatePage, CandidateSchema, ListArgs

ETAG_HEADER = {"ETag": {"description": "Send it back as If-Match to change the candidate",
                         "schema": {"type": "string"}}}


def dump(candidate: Candidate) -> dict:
    user = candidate.user
    return {"external_id": candidate.external_id, "name": user.name, "email": user.email, "phone": user.phone,
            "target_group": candidate.target_group}


def _valid_id(external_id: str) -> str:
    if not EXTERNAL_ID_RE.fullmatch(external_id):
        refuse(404, "not-found")
    return external_id


def _create(body: dict, external_id: str, *, by: User, now) -> Candidate:
    """Register the candidate; the same external id (or e-mail address) registered meanwhile by another request is
    a conflict, not an error of ours."""
    try:
        with db.session.begin_nested():
            return accounts.create_candidate(accounts.CandidateData(
                name=body["name"], email=body["email"], phone=body["phone"], jobcenter_id=jobcenter_id(),
                target_group=body["target_group"], consultant_id=None, external_id=external_id),
                created_by=by, now=now)
    except IntegrityError:
        refuse(409, "conflict", "The candidate was registered meanwhile: read them, then send the change.")


@bp.get("/candidates")
@bp.arguments(ListArgs, location="query")
@bp.response(200, CandidatePage)
@bp.doc(tags=["candidates"])
@scoped("candidates:read")
def candidates(args):
    """The job centre's candidates that have an external id, in pages."""
    query = (select(Candidate).join(User, Candidate.user_id == User.id)
             .where(Candidate.jobcenter_id == jobcenter_id(), Candidate.external_id.is_not(None),
                    User.erased_at.is_(None)))
    return page_of(query, Candidate.id, args, dump)


@bp.get("/candidates/<external_id>")
@bp.response(200, CandidateSchema, headers=ETAG_HEADER)
@bp.doc(tags=["candidates"])
@scoped("candidates:read")
def candidate(external_id: str):
    """One candidate, with its ETag."""
    data = dump(candidate_or_404(_valid_id(external_id)))
    return data, 200, {"ETag": etag_of(data)}


@bp.put("/candidates/<external_id>")
@bp.arguments(CandidateIn)
@bp.response(200, CandidateSchema, headers=ETAG_HEADER, description="Changed")
@bp.alt_response(201, schema=CandidateSchema, headers=ETAG_HEADER, description="Created", success=True)
@bp.doc(tags=["candidates"], parameters=[{"in": "header", "name": "If-Match", "schema": {"type": "string"},
                                          "description": "The ETag read; required to change a candidate"}])
@scoped("candidates:write")
def candidate_put(body, external_id: str):
    """Create the candidate with this external id (201; they are e-mailed how to sign in), or change them (200;
    send If-Match with the ETag you read)."""
    if not EXTERNAL_ID_RE.fullmatch(external_id) or CPR.search(external_id):
        refuse(422, "invalid", errors={"external_id": ["Letters, digits and . _ : - only, at most 64, no CPR number."]})
    by, now = acting_user(), utcnow()
    existing = db.session.scalar(select(Candidate.id).where(Candidate.jobcenter_id == jobcenter_id(),
                                                            Candidate.external_id == external_id))
    try:
        if existing is None:
            candidate = _create(body, external_id, by=by, now=now)
            status = 201
        else:
            locks.hold(candidates=[existing])  # two writers: the second reads the first one's change
            candidate = candidate_or_404(external_id)
            check_if_match(etag_of(dump(candidate)))
            accounts.update_candidate(candidate, name=body["name"], email=body["email"], phone=body["phone"],
                                      target_group=body["target_group"], by=by, now=now)
            status = 200
    except MatchappError as error:
        refuse(422, "refused", str(error.message), errors={error.field: [str(error.message)]} if error.field else None)
    data = dump(candidate)
    return data, status, {"ETag": etag_of(data)}
