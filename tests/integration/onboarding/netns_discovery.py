"""Run WardEye's ONVIF discovery inside a private network namespace (see test_onvif.py).

The namespace has only a loopback interface, given a non-loopback address and multicast so the
WSDiscovery package treats it as a network; probes cannot leave it. With ``--publish`` a
WS-Discovery publisher from the same third-party package answers as a camera would; with
``--with-streams`` two devices are announced (one served by onvif_responder.py, one with its
port closed) and discover_with_streams is run.
Prints the discovered devices as JSON on stdout.

    unshare -n python netns_discovery.py [--publish XADDR | --with-streams] [--timeout S]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import time

NAMESPACE_SETUP = [
    ["ip", "link", "set", "lo", "up", "multicast", "on"],
    ["ip", "addr", "add", "10.213.0.1/32", "dev", "lo"],
    ["ip", "route", "add", "239.0.0.0/8", "dev", "lo"],
]
SCOPES = [
    "onvif://www.onvif.org/type/video_encoder",
    "onvif://www.onvif.org/Profile/Streaming",
    "onvif://www.onvif.org/name/Camera%20Ch%E1%BB%A3%20B%E1%BA%BFn%20Th%C3%A0nh",
    "onvif://www.onvif.org/hardware/DS-2CD1023G0-I",
    "onvif://www.onvif.org/location/city/hochiminh",
]


def ipv4_only() -> None:
    """The package's IPv6 thread tries to answer IPv4 senders and dies with a traceback
    (WSDiscovery 2.1.2); the namespace has no IPv6 anyway, so don't start it."""
    import wsdiscovery.threaded

    def refuse(*_args: object) -> None:
        raise OSError("IPv4 only in this test namespace")

    wsdiscovery.threaded.NetworkingThreadIPv6 = refuse  # type: ignore[assignment,misc]


def publish(xaddr: str) -> object:
    from wsdiscovery import QName, Scope
    from wsdiscovery.publishing import ThreadedWSPublishing

    publisher = ThreadedWSPublishing()
    publisher.start()
    nvt = QName("http://www.onvif.org/ver10/network/wsdl", "NetworkVideoTransmitter", "dn")
    publisher.publishService(types=[nvt], scopes=[Scope(s) for s in SCOPES], xAddrs=[xaddr])
    return publisher


def with_streams(timeout: float) -> dict[str, object]:
    """Two announced devices: a camera-style ONVIF responder, and one whose port is closed."""
    from onvif_responder import CameraSpec, OnvifResponder, Profile

    from wardeye.ingest.onvif import discover_with_streams

    spec = CameraSpec(
        user="admin",
        password="pw-9",
        profiles=[
            Profile("P1", "mainStream", 1920, 1080, 25, 4096, "rtsp://127.0.0.1:554/main"),
            Profile("P2", "subStream", 640, 360, 10, 512, "rtsp://127.0.0.1:554/sub"),
        ],
    )
    responder = OnvifResponder(spec)
    publishers = [
        publish(f"http://127.0.0.1:{responder.port}/onvif/device_service"),
        publish("http://127.0.0.1:9/onvif/device_service"),
    ]
    try:
        results = discover_with_streams("admin", "pw-9", timeout=timeout, device_timeout=5)
    finally:
        for publisher in publishers:
            publisher.stop()  # type: ignore[attr-defined]
        responder.close()
    return {"results": [dataclasses.asdict(r) for r in results]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--publish", help="device service URL to announce")
    parser.add_argument("--with-streams", action="store_true")
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args()
    for command in NAMESPACE_SETUP:
        subprocess.run(command, check=True)
    ipv4_only()
    if args.with_streams:
        print(json.dumps(with_streams(args.timeout)))
        return

    publisher = publish(args.publish) if args.publish else None

    from wardeye.ingest.onvif import discover

    started = time.monotonic()
    try:
        found = discover(timeout=args.timeout)
    finally:
        if publisher is not None:
            publisher.stop()  # type: ignore[attr-defined]
    print(
        json.dumps(
            {
                "seconds": time.monotonic() - started,
                "devices": [dataclasses.asdict(d) for d in found],
            }
        )
    )


if __name__ == "__main__":
    main()
