"""The RTP depacketizer against a packetizer written here from RFC 6184 / RFC 7798, on random
NAL units: whatever the split (single, aggregated, fragmented), the frames come back whole."""

from __future__ import annotations

import base64
import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from wardeye.ingest.rtp import (
    START_CODE,
    Depacketizer,
    InterleavedError,
    InterleavedReader,
    TimestampUnwrapper,
)
from wardeye.ingest.rtsp_client import _Auth, parse_sdp, split_credentials

MTU = 1200


def rtp(seq: int, ts: int, marker: bool, payload: bytes, csrc: int = 0, pad: int = 0) -> bytes:
    head = bytes((0x80 | (0x20 if pad else 0) | csrc, (0x80 if marker else 0) | 96))
    head += (seq & 0xFFFF).to_bytes(2, "big") + ts.to_bytes(4, "big") + b"\x12\x34\x56\x78"
    head += b"\x00\x00\x00\x01" * csrc
    return head + payload + (bytes(pad - 1) + bytes((pad,)) if pad else b"")


def packetize_h264(nals: list[bytes], mtu: int = MTU) -> list[bytes]:
    """Payloads for one access unit: small NAL units aggregated (STAP-A), big ones in FU-A."""
    out: list[bytes] = []
    small: list[bytes] = []

    def flush() -> None:
        if len(small) == 1:
            out.append(small[0])
        elif small:
            out.append(bytes((0x18,)) + b"".join(len(n).to_bytes(2, "big") + n for n in small))
        small.clear()

    for nal in nals:
        if len(nal) + 3 <= mtu // 4:
            small.append(nal)
            continue
        flush()
        if len(nal) <= mtu:
            out.append(nal)
            continue
        body = nal[1:]
        pieces = [body[i : i + mtu] for i in range(0, len(body), mtu)]
        for i, piece in enumerate(pieces):
            fu = (nal[0] & 0x1F) | (0x80 if i == 0 else 0) | (0x40 if i == len(pieces) - 1 else 0)
            out.append(bytes(((nal[0] & 0xE0) | 28, fu)) + piece)
    flush()
    return out


def packetize_hevc(nals: list[bytes], mtu: int = MTU) -> list[bytes]:
    out: list[bytes] = []
    for nal in nals:
        if len(nal) <= mtu:
            out.append(nal)
            continue
        kind = (nal[0] >> 1) & 0x3F
        body = nal[2:]
        pieces = [body[i : i + mtu] for i in range(0, len(body), mtu)]
        for i, piece in enumerate(pieces):
            fu = kind | (0x80 if i == 0 else 0) | (0x40 if i == len(pieces) - 1 else 0)
            out.append(bytes(((nal[0] & 0x81) | (49 << 1), nal[1], fu)) + piece)
    return out


def h264_nal(kind: int, body: bytes) -> bytes:
    return bytes((0x60 | kind,)) + body


def hevc_nal(kind: int, body: bytes) -> bytes:
    return bytes((kind << 1, 0x01)) + body


bodies = st.binary(min_size=1, max_size=5000)


@settings(max_examples=60, deadline=None)
@given(
    frames=st.lists(
        st.tuples(st.booleans(), st.lists(bodies, min_size=1, max_size=4)), min_size=1, max_size=6
    ),
    marker=st.booleans(),
)
def test_h264_frames_come_back_whole(frames: list[tuple[bool, list[bytes]]], marker: bool) -> None:
    dep = Depacketizer("h264")
    got = []
    seq = 65530  # wraps inside the run
    expected = []
    for index, (key, payloads) in enumerate(frames):
        nals = [h264_nal(7, b"\x42sps"), h264_nal(8, b"\xcepps")] if key else []
        nals += [h264_nal(5 if key else 1, body) for body in payloads]
        expected.append((START_CODE + START_CODE.join(nals), index * 3600, key))
        packets = packetize_h264(nals)
        for i, payload in enumerate(packets):
            last = i == len(packets) - 1
            got += dep.push(rtp(seq, index * 3600, marker and last, payload, csrc=index % 2))
            seq += 1
    if not marker:  # a camera that never sets the marker: the next timestamp closes a frame
        got += dep.push(rtp(seq, len(frames) * 3600, True, h264_nal(1, b"end")))
        got = got[: len(frames)]
    assert [(u.data, u.timestamp, u.keyframe) for u in got] == expected
    assert not any(u.damaged for u in got) and dep.lost == 0


@settings(max_examples=40, deadline=None)
@given(frames=st.lists(st.tuples(st.booleans(), bodies), min_size=1, max_size=6))
def test_hevc_frames_come_back_whole(frames: list[tuple[bool, bytes]]) -> None:
    dep = Depacketizer("hevc")
    got = []
    expected = []
    seq = 0
    for index, (key, body) in enumerate(frames):
        nals = [hevc_nal(32, b"vps"), hevc_nal(33, b"sps"), hevc_nal(34, b"pps")] if key else []
        nals.append(hevc_nal(19 if key else 1, body))
        expected.append((START_CODE + START_CODE.join(nals), key))
        packets = packetize_hevc(nals)
        for i, payload in enumerate(packets):
            got += dep.push(rtp(seq, 1000 + index, i == len(packets) - 1, payload, pad=index % 3))
            seq += 1
    assert [(u.data, u.keyframe) for u in got] == expected


def test_a_lost_fragment_marks_the_frame_damaged_and_drops_the_cut_nal() -> None:
    dep = Depacketizer("h264")
    nal = h264_nal(5, bytes(range(256)) * 20)
    packets = packetize_h264([h264_nal(7, b"sps"), nal])
    assert len(packets) > 3
    units = []
    for seq, payload in enumerate(packets):
        if seq == 2:
            continue  # lost on the way
        units += dep.push(rtp(seq, 0, seq == len(packets) - 1, payload))
    units += dep.push(rtp(len(packets), 3600, True, h264_nal(1, b"next")))
    assert units[0].damaged and units[0].data == START_CODE + h264_nal(7, b"sps")
    assert dep.lost == 1
    assert not units[1].damaged and units[1].data == START_CODE + h264_nal(1, b"next")


def test_junk_packets_are_ignored() -> None:
    dep = Depacketizer("h264")
    assert dep.push(b"") == [] and dep.push(b"\x00" * 40) == []
    assert dep.push(rtp(1, 0, True, b"")) == []
    assert dep.push(rtp(2, 0, True, h264_nal(1, b"ok")))[0].data == START_CODE + h264_nal(1, b"ok")


def test_interleaved_frames_and_server_messages_are_split_across_reads() -> None:
    answer = b"RTSP/1.0 200 OK\r\nCSeq: 7\r\nContent-Length: 5\r\n\r\nhello"
    stream = b"$\x00\x00\x03abc" + answer + b"$\x01\x00\x02rt" + b"$\x00\x00\x04last"
    reader = InterleavedReader()
    items = []
    for i in range(0, len(stream), 5):  # arrives in small pieces
        reader.feed(stream[i : i + 5])
        items += reader.frames()
    assert items == [(0, b"abc"), (-1, answer), (1, b"rt"), (0, b"last")]


def test_garbage_is_refused_with_a_clear_error() -> None:
    reader = InterleavedReader()
    try:
        reader.feed(b"\x17\x03garbage that is not RTSP\r\n" * 10)
        reader.frames()
    except InterleavedError as exc:
        assert "neither RTP nor RTSP" in str(exc)
    else:
        raise AssertionError("garbage accepted")


def test_rtp_timestamps_keep_counting_across_the_wrap() -> None:
    unwrap = TimestampUnwrapper()
    assert [unwrap(t) for t in (0xFFFFF000, 0xFFFFFF00, 0x100, 0x50)] == [
        0,
        0xF00,
        0x1100,
        0x1050,
    ]


SDP = "\n".join(
    [
        "v=0",
        "o=- 1 1 IN IP4 127.0.0.1",
        "s=Session",
        "t=0 0",
        "m=audio 0 RTP/AVP 8",
        "a=control:audio",
        "m=video 0 RTP/AVP 96",
        "a=rtpmap:96 H264/90000",
        "a=fmtp:96 packetization-mode=1;"
        "sprop-parameter-sets=Z0IAKeKQFAe2AtwEBAaQeJEV,aM48gA==;profile-level-id=420029",
        "a=framerate:25",
        "a=control:trackID=1",
        "",
    ]
)


def test_sdp_gives_codec_parameter_sets_control_and_rate() -> None:
    track = parse_sdp(SDP.replace("\n", "\r\n"), "rtsp://cam/live/")
    assert track.codec == "h264" and track.clock_rate == 90000 and track.fps == 25.0
    assert track.control == "rtsp://cam/live/trackID=1"
    sps, pps = base64.b64decode("Z0IAKeKQFAe2AtwEBAaQeJEV"), base64.b64decode("aM48gA==")
    assert track.parameter_sets == START_CODE + sps + START_CODE + pps
    hevc = parse_sdp(
        "v=0\nm=video 0 RTP/AVP 97\na=rtpmap:97 H265/90000\n"
        "a=fmtp:97 sprop-vps=QAE;sprop-sps=QgE;sprop-pps=RAE\na=control:rtsp://other/x\n",
        "rtsp://cam/",
    )
    assert hevc.codec == "hevc" and hevc.control == "rtsp://other/x"
    assert hevc.parameter_sets.count(START_CODE) == 3


def test_sdp_without_recordable_video_is_explained() -> None:
    for sdp, words in (
        ("v=0\nm=audio 0 RTP/AVP 8\n", "no video"),
        ("v=0\nm=video 0 RTP/AVP 26\na=rtpmap:26 JPEG/90000\n", "cannot be recorded"),
    ):
        try:
            parse_sdp(sdp, "rtsp://cam/")
        except Exception as exc:
            assert words in str(exc)
        else:
            raise AssertionError(sdp)


def test_credentials_leave_the_url_and_are_decoded() -> None:
    assert split_credentials("rtsp://ad%40m:p%3Aw@10.0.0.5:554/s?a=1") == (
        "rtsp://10.0.0.5:554/s?a=1",
        "ad@m",
        "p:w",
    )
    assert split_credentials("rtsp://10.0.0.5/s") == ("rtsp://10.0.0.5/s", None, None)


def test_digest_answer_follows_rfc_2617() -> None:
    auth = _Auth("Mufasa", "Circle Of Life")
    assert auth.challenge(
        [
            'Basic realm="x"',
            'Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"',
        ]
    )
    header = auth.header("GET", "/dir/index.html")
    assert header is not None and header.startswith("Digest ")
    ha1 = hashlib.md5(b"Mufasa:testrealm@host.com:Circle Of Life").hexdigest()
    ha2 = hashlib.md5(b"GET:/dir/index.html").hexdigest()
    want = hashlib.md5(f"{ha1}:dcd98b7102dd2f0e8b11d0f600bfb0c093:{ha2}".encode()).hexdigest()
    assert f'response="{want}"' in header
