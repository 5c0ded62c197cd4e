"""Reading the audit trail: search and CSV export for readers with ``read_audit`` (scoped to
their areas when they are bound to some), and, for a household camera's owner, every access
to their own camera. Reading the audit is itself audited."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from wardeye.access.permissions import Permission
from wardeye.access.principal import Principal
from wardeye.api.auth import Services
from wardeye.api.guard import Allow
from wardeye.api.params import CameraId, IdQuery, Instant
from wardeye.api.services import ApiServices
from wardeye.audit.records import AuditAction, DetailValue
from wardeye.audit.search import MAX_PAGE, AuditEntryView, AuditPage, AuditQuery, AuditScope
from wardeye.core.clock import utc_now
from wardeye.core.errors import NotFound

router = APIRouter(tags=["audit"])
Reader = Annotated[Principal, Allow(Permission.READ_AUDIT)]
Owner = Annotated[Principal, Allow(Permission.VIEW_OWN_ACCESS)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Entries per page.")]
# Everything done to the camera; not the owner's own look at this list.
OWNER_SEES = frozenset(AuditAction) - {AuditAction.AUDIT_READ}
Cursor = Annotated[IdQuery | None, Query(description="Only entries older than this seq.")]


def audit_filters(
    user_id: Annotated[IdQuery | None, Query(description="Entries by this user.")] = None,
    username: Annotated[str | None, Query(max_length=64, description="Part of a name.")] = None,
    camera_id: Annotated[list[IdQuery] | None, Query(max_length=500)] = None,
    case_ref: Annotated[str | None, Query(max_length=64, description="Case number.")] = None,
    action: Annotated[list[AuditAction] | None, Query(max_length=50)] = None,
    result: Literal["ok", "denied", "failed"] | None = None,
    since: Annotated[Instant | None, Query(description="At or after (UTC if no zone).")] = None,
    until: Annotated[Instant | None, Query(description="Before (UTC if no zone).")] = None,
    before_seq: Cursor = None,
    limit: Limit = 100,
) -> AuditQuery:
    """The filters of the audit page, the same for the list and the CSV."""
    return AuditQuery(
        user_id=user_id,
        username=username or None,
        camera_ids=None if camera_id is None else frozenset(camera_id),
        case_ref=case_ref or None,
        actions=None if action is None else frozenset(action),
        result=result,
        since=since,
        until=until,
        before_seq=before_seq,
        limit=limit,
    )


Filters = Annotated[AuditQuery, Depends(audit_filters)]


def reader_scope(services: ApiServices, principal: Principal) -> AuditScope | None:
    """An unbound reader sees every entry; one bound to areas sees entries about cameras
    they may see, and entries about no camera made by users inside their areas."""
    if principal.area_ids is None:
        return None
    users = services.users.list()
    return AuditScope(
        camera_ids=services.access.camera_ids(principal, Permission.VIEW_MAP),
        user_ids=frozenset(u.id for u in users if services.access.user_in_scope(principal, u)),
    )


def _described(query: AuditQuery, **extra: DetailValue) -> Mapping[str, DetailValue]:
    """The filters used, for the AUDIT_READ entry."""
    detail: dict[str, DetailValue] = dict(extra)
    for name in ("user_id", "username", "case_ref", "result", "before_seq"):
        value = getattr(query, name)
        if value is not None:
            detail[name] = value
    if query.camera_ids is not None:
        detail["camera_ids"] = ",".join(map(str, sorted(query.camera_ids)))
    if query.actions is not None:
        detail["actions"] = ",".join(sorted(query.actions))
    for name in ("since", "until"):
        moment: datetime | None = getattr(query, name)
        if moment is not None:
            detail[name] = moment.isoformat()
    return detail


@router.get("/api/audit")
def search_audit(services: Services, principal: Reader, query: Filters) -> AuditPage:
    """Entries newest first, one page; pass ``next_before_seq`` as ``before_seq`` for more."""
    scoped = replace(query, scope=reader_scope(services, principal))
    page = services.audit.search(scoped)
    services.access.record(principal, AuditAction.AUDIT_READ,
                           detail=_described(query, shown=len(page.entries)))  # fmt: skip
    return page


@router.get(
    "/api/audit.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with a BOM"}},
)
def export_audit(services: Services, principal: Reader, query: Filters) -> StreamingResponse:
    """Every matching entry (the page size is ignored) as CSV, streamed; times in UTC and in
    the site's zone. Cells that a spreadsheet would run as formulas start with a quote."""
    scoped = replace(query, scope=reader_scope(services, principal))
    services.access.record(principal, AuditAction.AUDIT_READ,
                           detail=_described(query, format="csv"))  # fmt: skip
    stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        services.audit.export_csv(scoped, ZoneInfo(services.timezone)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="wardeye-audit-{stamp}.csv"'},
    )


class CameraAccess(BaseModel):
    """One access to an owner's camera, as the owner sees it (no addresses or hashes)."""

    seq: int
    at: datetime
    username: str | None
    role: str | None
    action: str
    result: str
    start: datetime | None  # the footage watched, when the access was to recorded video
    end: datetime | None
    case_ref: str | None
    reason: str | None

    @classmethod
    def of(cls, entry: AuditEntryView) -> CameraAccess:
        return cls(seq=entry.seq, at=entry.at, username=entry.username, role=entry.role,
                   action=entry.action, result=entry.result, start=entry.start, end=entry.end,
                   case_ref=entry.case_ref, reason=entry.reason)  # fmt: skip


class CameraAccessPage(BaseModel):
    camera_id: int
    entries: list[CameraAccess]
    next_before_seq: int | None


@router.get("/api/my/cameras/{camera_id}/access")
def my_camera_access(
    camera_id: CameraId,
    services: Services,
    principal: Owner,
    before_seq: Cursor = None,
    limit: Limit = 100,
) -> CameraAccessPage:
    """Everyone who watched, played back, took snapshots of or changed the owner's camera,
    newest first. Cameras the principal does not own answer 404."""
    if camera_id not in principal.owned_camera_ids:
        raise NotFound(f"no camera with id {camera_id}")
    query = AuditQuery(camera_ids=frozenset({camera_id}), actions=OWNER_SEES, before_seq=before_seq,
                       limit=limit)  # fmt: skip
    page = services.audit.search(query)
    services.access.record(principal, AuditAction.AUDIT_READ, camera_id=camera_id,
                           object_type="camera", object_id=str(camera_id),
                           detail={"own_camera": True, "shown": len(page.entries)})  # fmt: skip
    return CameraAccessPage(
        camera_id=camera_id,
        entries=[CameraAccess.of(e) for e in page.entries],
        next_before_seq=page.next_before_seq,
    )
