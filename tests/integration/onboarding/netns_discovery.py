"""Run WardEye's ONVIF discovery inside a private network namespace (see test_onvif.py).

The namespace has only a loopback interface, given a non-loopback address and multicast so the
WSDiscovery package treats it as a network; probes cannot leave it. With ``--publish`` a
WS-Discovery publisher from the same third-party package answers as a camera would.
Prints the discovered devices as JSON on stdout.

    unshare -n python netns_discovery.py [--publish XADDR] [--timeout S]
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--publish", help="device service URL to announce")
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args()
    for command in NAMESPACE_SETUP:
        subprocess.run(command, check=True)
    ipv4_only()

    publisher = None
    if args.publish:
        from wsdiscovery import QName, Scope
        from wsdiscovery.publishing import ThreadedWSPublishing

        publisher = ThreadedWSPublishing()
        publisher.start()
        nvt = QName("http://www.onvif.org/ver10/network/wsdl", "NetworkVideoTransmitter", "dn")
        publisher.publishService(
            types=[nvt], scopes=[Scope(s) for s in SCOPES], xAddrs=[args.publish]
        )

    from wardeye.ingest.onvif import discover

    started = time.monotonic()
    try:
        found = discover(timeout=args.timeout)
    finally:
        if publisher is not None:
            publisher.stop()
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
