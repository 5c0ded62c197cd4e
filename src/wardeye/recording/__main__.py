"""Run the recorder alone, without the web app: ``python -m wardeye.recording``.

For a recorder-only node, for tests that need a real process to kill, and for benchmarks. The
catalog must already be migrated (``wardeye migrate``). Prints ``RECORDING`` once every camera
has been started; SIGTERM or SIGINT stops it cleanly (open segments are finished and indexed).
"""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import threading
from pathlib import Path

from wardeye.catalog.database import Database
from wardeye.config.models import ReconnectConfig, RecordingConfig
from wardeye.core.bus import InProcessBus
from wardeye.recording.recorder import Recorder


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m wardeye.recording", description=__doc__)
    parser.add_argument("--database-url", required=True, help="SQLAlchemy URL of the catalog")
    parser.add_argument("--recordings", required=True, type=Path, help="recordings folder")
    parser.add_argument("--segment-seconds", type=float, default=10.0)
    parser.add_argument("--transport", choices=("tcp", "udp"), default="tcp")
    parser.add_argument("--substream", action="store_true", help="also record sub streams")
    parser.add_argument(
        "--rtsp-client",
        choices=("wardeye", "ffmpeg"),
        default="wardeye",
        help="who reads RTSP over TCP (see recording.rtsp_client)",
    )
    parser.add_argument(
        "--read-interval",
        type=float,
        default=RecordingConfig.model_fields["read_interval_seconds"].default,
        help="seconds between socket reads of WardEye's RTSP client while nobody watches",
    )
    parser.add_argument("--backoff-initial", type=float, default=1.0)
    parser.add_argument("--backoff-max", type=float, default=30.0)
    parser.add_argument("--offline-grace", type=float, default=5.0)
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config = RecordingConfig(
        segment_seconds=args.segment_seconds,
        rtsp_transport=args.transport,
        record_substream=args.substream,
        rtsp_client=args.rtsp_client,
        read_interval_seconds=args.read_interval,
        reconnect=ReconnectConfig(
            initial_seconds=args.backoff_initial, max_seconds=args.backoff_max
        ),
    )
    db = Database(args.database_url)
    recorder = Recorder(
        db, config, args.recordings, InProcessBus(), offline_grace_seconds=args.offline_grace
    )
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    recorder.start()
    gc.freeze()  # what start-up built lives as long as the process: keep the collector off it
    print("RECORDING", flush=True)
    done.wait()
    recorder.stop()
    db.dispose()
    print("STOPPED", flush=True)


if __name__ == "__main__":
    main()
