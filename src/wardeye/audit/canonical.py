"""The one canonical form of an entry and of a checkpoint, so anyone can recompute a hash or
check a signature with any JSON library: sorted-keys JSON, no spaces, UTF-8, times in UTC as
``YYYY-MM-DDTHH:MM:SS.ffffffZ``.

Entry hash = SHA-256 of the canonical JSON of every stored field (``seq`` and ``prev_hash``
included, ``hash`` itself excluded; ``detail`` as a JSON object). A checkpoint signs the
canonical JSON of ``{"at", "hash", "seq"}`` with the site's Ed25519 key."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime

from wardeye.audit.records import AuditRecord, DetailValue

GENESIS_HASH = "0" * 64  # prev_hash of the first entry
MAX_TEXT = 2000  # longer names and values are cut: a hostile 10 MB username is not kept whole
MAX_REASON = 4000


def iso_utc(moment: datetime) -> str:
    """``2026-12-02T03:04:05.000006Z``: always microseconds, so the text has one form."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)  # fmt: skip


def clean_text(value: str | None, limit: int = MAX_TEXT) -> str | None:
    """Text every backend stores and every verifier reads back the same: no NUL (PostgreSQL
    refuses it), no lone surrogates (not UTF-8), at most ``limit`` characters."""
    if value is None:
        return None
    text = value.replace("\x00", "\ufffd")
    text = text.encode("utf-8", "replace").decode("utf-8")
    return text[:limit]


def _clean_value(value: DetailValue) -> DetailValue:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN or infinity
    return value


def clean_detail(detail: Mapping[str, DetailValue]) -> dict[str, DetailValue]:
    return {clean_text(str(k)) or "": _clean_value(v) for k, v in detail.items()}


def _utc_or_none(moment: datetime | None) -> datetime | None:
    """Aware UTC; an instant that cannot be expressed in UTC (year 1 with an offset) is None."""
    if moment is None:
        return None
    try:
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


@dataclass(frozen=True)
class EntryContent:
    """Exactly what is stored and hashed for one entry (``hash`` aside)."""

    seq: int
    prev_hash: str
    at: datetime
    action: str
    result: str
    user_id: int | None
    username: str | None
    role: str | None
    client_address: str | None
    camera_id: int | None
    object_type: str | None
    object_id: str | None
    start: datetime | None
    end: datetime | None
    case_ref: str | None
    reason: str | None
    detail: Mapping[str, DetailValue]

    def canonical(self) -> str:
        data: dict[str, object] = {f.name: getattr(self, f.name) for f in _FIELDS}
        for name in ("at", "start", "end"):
            moment = getattr(self, name)
            data[name] = None if moment is None else iso_utc(moment)
        data["detail"] = dict(self.detail)
        return canonical_json(data)

    def digest(self) -> str:
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()

    def detail_json(self) -> str:
        return canonical_json(dict(self.detail))


_FIELDS = fields(EntryContent)


def content_of(record: AuditRecord, seq: int, prev_hash: str) -> EntryContent:
    """A record made safe to store (see ``clean_text``) and placed in the chain."""
    at = _utc_or_none(record.at) or datetime.now(UTC)
    detail = clean_detail(record.detail)
    start, end = _utc_or_none(record.start), _utc_or_none(record.end)
    if record.start is not None and start is None:
        detail["start_unrepresentable"] = clean_text(repr(record.start))
    if record.end is not None and end is None:
        detail["end_unrepresentable"] = clean_text(repr(record.end))
    return EntryContent(
        seq=seq,
        prev_hash=prev_hash,
        at=at,
        action=clean_text(str(record.action), 32) or "",
        result=clean_text(str(record.result), 16) or "",
        user_id=record.user_id,
        username=clean_text(record.username),
        role=clean_text(record.role),
        client_address=clean_text(record.client_address),
        camera_id=record.camera_id,
        object_type=clean_text(record.object_type),
        object_id=clean_text(record.object_id),
        start=start,
        end=end,
        case_ref=clean_text(record.case_ref),
        reason=clean_text(record.reason, MAX_REASON),
        detail=detail,
    )


def checkpoint_message(seq: int, entry_hash: str, at: datetime) -> bytes:
    """The bytes a checkpoint's signature covers."""
    return canonical_json({"at": iso_utc(at), "hash": entry_hash, "seq": seq}).encode("utf-8")
