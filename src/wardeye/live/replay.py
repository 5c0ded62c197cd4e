"""Recorded footage for the browser: one recorded MP4 segment repackaged (never transcoded) as
fragmented MP4, from the keyframe at or before the requested instant, in small fragments so the
first picture can be decoded before the rest of the segment has been read or sent.

With privacy masks the segment is decoded, masked and encoded to H.264 on the fly instead
(privacy.encoder), keyframes where the recording has them; the recording itself is never
changed. Callers must say which masks apply (``masks=()`` only for a viewer allowed to see
the unmasked picture), so forgetting them cannot leak the unmasked picture."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.container
import av.video.stream

from wardeye.ingest.nal import parameter_sets
from wardeye.mp4.codecs import (
    DecoderConfig,
    decoder_config,
    parameter_sets_from_avcc,
    parameter_sets_from_hvcc,
)
from wardeye.mp4.fmp4 import TIMESCALE, Sample, Track, fragment, init_segment
from wardeye.privacy.encoder import EncodedPicture, MaskEncoder
from wardeye.privacy.masks import Mask
from wardeye.privacy.picture import black_out

FRAGMENT_SECONDS = 0.5  # small first fragments: the browser can start before a GOP is read


class ReplayError(Exception):
    """The segment file cannot be read or packaged."""


@dataclass(frozen=True, slots=True)
class ReplayHead:
    """Known before any media byte is sent: what to tell the browser in headers."""

    mime: str
    codec: str
    width: int
    height: int
    fps: float | None


def _ticks(value: int, time_base: Fraction) -> int:
    return int(value * time_base * TIMESCALE)


def _config(stream: av.video.stream.VideoStream) -> DecoderConfig | None:
    codec = stream.codec_context.name
    extradata = stream.codec_context.extradata or b""
    if codec == "h264":
        params = parameter_sets_from_avcc(extradata)
    elif codec == "hevc":
        params = parameter_sets_from_hvcc(extradata)
    else:
        raise ReplayError(f"recorded codec {codec!r} cannot be played in a browser")
    return decoder_config(codec, params) if params else None


class SegmentReplay:
    """Open one segment file; iterate :meth:`chunks` to get the init segment, then fragments.

    ``offset`` (seconds into the file) starts at the keyframe at or before it; ``base`` (seconds)
    is added to every timestamp so fragments of consecutive segments line up on one timeline.
    ``masks``: the camera's enabled privacy masks (``privacy.masks_for``); with any, the
    pictures are masked and re-encoded.
    """

    def __init__(
        self, path: Path, offset: float = 0.0, base: float = 0.0, *, masks: Sequence[Mask]
    ) -> None:
        try:
            self._container: av.container.InputContainer = av.open(str(path))
        except (av.FFmpegError, OSError) as exc:
            raise ReplayError(f"cannot open recorded segment: {exc}") from exc
        if not self._container.streams.video:
            self._container.close()
            raise ReplayError("recorded segment has no video")
        self._stream = self._container.streams.video[0]
        self._offset = max(0.0, offset)
        self._base = base
        self._masks = tuple(masks)
        self._config = None if self._masks else _config(self._stream)
        rate = self._stream.average_rate
        self.head = ReplayHead(
            mime="",
            codec=self._stream.codec_context.name,
            width=self._stream.codec_context.width,
            height=self._stream.codec_context.height,
            fps=float(rate) if rate else None,
        )
        if self._config is not None:
            self.head = self._with_mime(self._config)

    @property
    def masked(self) -> bool:
        return bool(self._masks)

    def _with_mime(self, config: DecoderConfig) -> ReplayHead:
        track = Track(config, self.head.width, self.head.height)
        return ReplayHead(track.mime, self.head.codec, self.head.width, self.head.height,
                          self.head.fps)  # fmt: skip

    def chunks(self) -> Iterator[bytes]:
        try:
            yield from self._chunks()
        finally:
            self._container.close()

    def close(self) -> None:
        self._container.close()

    def _start(self) -> tuple[Fraction, int]:
        stream, tb = self._stream, self._stream.time_base
        if tb is None:
            raise ReplayError("recorded segment has no time base")
        zero = stream.start_time or 0
        if self._offset > 0:
            target = zero + int(self._offset / tb)
            self._container.seek(target, backward=True, any_frame=False, stream=stream)
        return tb, zero

    def _chunks(self) -> Iterator[bytes]:
        if self._masks:
            yield from self._masked_chunks()
            return
        stream = self._stream
        tb, zero = self._start()
        base = int(self._base * TIMESCALE)
        pending: list[Sample] = []
        sequence = 0
        started = False
        for packet in self._container.demux(stream):
            if packet.dts is None or packet.size == 0:
                continue
            if not started:
                if not packet.is_keyframe:
                    continue
                started = True
                yield self._init(bytes(packet))
            dts = base + _ticks(packet.dts - zero, tb)
            pts = base + _ticks((packet.pts if packet.pts is not None else packet.dts) - zero, tb)
            duration = _ticks(packet.duration or 0, tb)
            if pending and (
                packet.is_keyframe or dts - pending[0].dts >= FRAGMENT_SECONDS * TIMESCALE
            ):
                sequence += 1
                yield fragment(sequence, _with_durations(pending, dts))
                pending = []
            pending.append(Sample(bytes(packet), dts, pts, duration, packet.is_keyframe))
        if pending:
            yield fragment(sequence + 1, _with_durations(pending, None))

    def _masked_chunks(self) -> Iterator[bytes]:
        """Decode from the keyframe, black the masks out, encode; fragments as above."""
        stream = self._stream
        tb, zero = self._start()
        stream.codec_context.thread_type = "AUTO"
        base = int(self._base * TIMESCALE)
        encoder = MaskEncoder()
        pending: list[Sample] = []
        sequence = 0
        started = False

        def add(picture: EncodedPicture) -> Iterator[bytes]:
            nonlocal pending, sequence, started
            if not started:
                if not picture.keyframe:
                    return
                started = True
                self.head = ReplayHead("", "h264", *encoder.size, self.head.fps)
                self._config = decoder_config("h264", parameter_sets("h264", picture.data))
                self.head = self._with_mime(self._config)
                yield self._init(picture.data)
            dts = picture.dts
            if pending and (
                picture.keyframe or dts - pending[0].dts >= FRAGMENT_SECONDS * TIMESCALE
            ):
                sequence += 1
                yield fragment(sequence, _with_durations(pending, dts))
                pending = []
            pending.append(Sample(picture.data, dts, picture.pts, 0, picture.keyframe))

        keyframe_seen = False
        try:
            for packet in self._container.demux(stream):
                if not keyframe_seen:
                    if packet.size == 0 or not packet.is_keyframe:
                        continue
                    keyframe_seen = True
                for frame in packet.decode():
                    if frame.pts is None:
                        continue
                    pts = base + _ticks(frame.pts - zero, tb)
                    masked = black_out(frame, self._masks)
                    for picture in encoder.encode(masked, pts, bool(frame.key_frame)):
                        yield from add(picture)
        except av.FFmpegError as exc:
            raise ReplayError(f"cannot decode recorded segment: {exc}") from exc
        for picture in encoder.flush():
            yield from add(picture)
        if pending:
            yield fragment(sequence + 1, _with_durations(pending, None))

    def _init(self, first_keyframe: bytes) -> bytes:
        if self._config is None:  # parameter sets only in-band: take them from the keyframe
            codec = self.head.codec
            self._config = decoder_config(codec, parameter_sets(codec, first_keyframe))
            self.head = self._with_mime(self._config)
        return init_segment(Track(self._config, self.head.width, self.head.height))


def _with_durations(samples: list[Sample], next_dts: int | None) -> list[Sample]:
    """Fill missing durations from the following sample's dts (exact, no drift)."""
    out: list[Sample] = []
    for i, sample in enumerate(samples):
        following = samples[i + 1].dts if i + 1 < len(samples) else next_dts
        duration = sample.duration
        if following is not None and following > sample.dts:
            duration = following - sample.dts
        elif duration <= 0 and out:
            duration = out[-1].duration
        out.append(Sample(sample.data, sample.dts, sample.pts, max(duration, 1), sample.keyframe))
    return out
