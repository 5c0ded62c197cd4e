"""Which client opens a stream: WardEye's own RTSP client for RTSP over TCP (fewer wake-ups and
system calls per camera, see :mod:`wardeye.ingest.rtsp_client`), FFmpeg through PyAV for
everything else (RTSP over UDP, HTTP, files) or when configured so."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Protocol, Self

from wardeye.core.closing import Closing
from wardeye.ingest.rtsp_client import RtspClient
from wardeye.ingest.sources import Connection, RawPacket, SourceOptions, is_file_source


class StreamConnection(Protocol):
    """What the reader needs from an open stream. ``width``/``height`` are 0 when the
    client only learns them from the first keyframe."""

    url: str
    paced: bool
    drains_on_stop: bool  # after finish(), packets() yields what was received, then ends
    codec: str
    width: int
    height: int
    fps: float | None
    parameter_sets: bytes

    def packets(self) -> Iterator[RawPacket]: ...

    def finish(self) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class RtspConnection(Closing):
    """An RTSP-over-TCP stream read by :class:`RtspClient`."""

    paced = False
    drains_on_stop = True

    def __init__(
        self, url: str, options: SourceOptions, read_interval: Callable[[], float] | None = None
    ) -> None:
        self.url = url
        self._client = RtspClient(
            url, options.open_timeout, options.read_timeout, read_interval or options.read_interval
        )
        track = self._client.track
        self.codec = track.codec
        self.width = self.height = 0
        self.fps = track.fps
        self.parameter_sets = track.parameter_sets

    def packets(self) -> Iterator[RawPacket]:
        for data, ticks, keyframe in self._client.access_units():
            yield RawPacket(data, ticks, ticks, keyframe)

    def finish(self) -> None:
        self._client.finish()

    def close(self) -> None:
        self._client.close()


def uses_own_rtsp_client(url: str, options: SourceOptions) -> bool:
    return (
        options.rtsp_client == "wardeye"
        and options.transport == "tcp"
        and not is_file_source(url)
        and url.lower().startswith("rtsp://")
    )


def open_connection(
    url: str, options: SourceOptions, read_interval: Callable[[], float] | None = None
) -> StreamConnection:
    """``read_interval``: asked after every read of the own RTSP client for the pause before
    the next one (default: ``options.read_interval``)."""
    if uses_own_rtsp_client(url, options):
        return RtspConnection(url, options, read_interval)
    return Connection(url, options)
