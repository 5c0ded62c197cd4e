"""The household consent rule, in one place: whether a camera's video may leave the camera.

Public cameras are always shared. A household camera is shared only under the ``live`` tier;
``registry`` shares only its location (it is never pulled at all), ``on_request`` shares
footage only through an approved request (the camera is not pulled around the clock)."""

from __future__ import annotations


def video_shared(kind: str, consent_tier: str | None) -> bool:
    """May police see this camera's live and recorded video without a per-request approval?"""
    return kind != "household" or consent_tier == "live"


def may_pull(kind: str, consent_tier: str | None, enabled: bool, verified: bool = True) -> bool:
    """Should WardEye open this camera's stream at all (record, analyse, show live)? Never for
    a camera an admin has not verified yet (a self-registered household camera)."""
    return enabled and verified and video_shared(kind, consent_tier)
