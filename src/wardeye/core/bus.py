"""A small publish/subscribe bus. In-process by default; a broker-backed one implements the same
Protocol when several recorder sites share events."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Protocol, TypeVar

from wardeye.core.events import Event

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
Handler = Callable[[E], None]


class EventBus(Protocol):
    def publish(self, event: Event) -> None: ...

    def subscribe(self, kind: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        """Register ``handler`` for ``kind`` (and subclasses); returns an unsubscribe function."""
        ...


class InProcessBus:
    """Delivers synchronously on the publisher's thread. A failing handler is logged and never
    breaks the publisher: recording must not stop because a subscriber raised."""

    def __init__(self) -> None:
        self._handlers: dict[type[Event], list[Callable[[Event], None]]] = defaultdict(list)
        self._lock = threading.Lock()

    def publish(self, event: Event) -> None:
        with self._lock:
            targets = [
                h for kind, hs in self._handlers.items() if isinstance(event, kind) for h in hs
            ]
        for handler in targets:
            try:
                handler(event)
            except Exception:
                log.exception("event handler failed for %s", type(event).__name__)

    def subscribe(self, kind: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        with self._lock:
            self._handlers[kind].append(handler)  # type: ignore[arg-type]

        def unsubscribe() -> None:
            with self._lock:
                if handler in self._handlers[kind]:
                    self._handlers[kind].remove(handler)

        return unsubscribe
