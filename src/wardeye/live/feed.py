"""One viewer's queue. Filled from a reader's thread, drained on the event loop. A viewer that
cannot keep up (slow phone link) loses whole groups of pictures, never single frames, so
what it still gets always decodes: it skips to the next keyframe."""

from __future__ import annotations

import asyncio
from collections import deque

from wardeye.live.messages import Fragment, InitSegment, LiveMessage


class LiveFeed:
    """Bounded by bytes queued; overflow drops everything queued and waits for a keyframe."""

    def __init__(self, loop: asyncio.AbstractEventLoop, max_bytes: int = 8 << 20) -> None:
        self._loop = loop
        self._max_bytes = max_bytes
        self._items: deque[LiveMessage] = deque()
        self._bytes = 0
        self._ready = asyncio.Event()
        self._closed = False
        self._need_key = False
        self.dropped = 0  # fragments thrown away because this viewer fell behind

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def offer_threadsafe(self, message: LiveMessage) -> None:
        """Called from any thread; the message is queued on the viewer's event loop."""
        if not self._closed and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.offer, message)

    def offer(self, message: LiveMessage) -> None:
        """On the viewer's event loop only."""
        if self._closed:
            return
        if isinstance(message, InitSegment):
            self._need_key = False
        elif isinstance(message, Fragment):
            if self._need_key and not message.keyframe:
                self.dropped += 1
                return
            self._need_key = False
            if self._bytes + len(message.data) > self._max_bytes:
                self._drop_fragments()
                if not message.keyframe:
                    self._need_key = True
                    self.dropped += 1
                    return
            self._bytes += len(message.data)
        self._items.append(message)
        self._ready.set()

    def _drop_fragments(self) -> None:
        kept: deque[LiveMessage] = deque(m for m in self._items if not isinstance(m, Fragment))
        self.dropped += len(self._items) - len(kept)
        self._items = kept
        self._bytes = 0

    async def get(self) -> LiveMessage | None:
        """Next message, or None once closed."""
        while not self._items:
            if self._closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        message = self._items.popleft()
        if isinstance(message, Fragment):
            self._bytes -= len(message.data)
        return message

    def take_ready(self) -> list[LiveMessage]:
        """Everything queued right now, without waiting (to batch sends)."""
        items = list(self._items)
        self._items.clear()
        self._bytes = 0
        return items

    def close(self) -> None:
        """End the feed after what is already queued (ordered with the offers before it)."""
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._close)

    def _close(self) -> None:
        self._closed = True
        self._ready.set()

    @property
    def pending_bytes(self) -> int:
        return self._bytes


def offer_to_all(feeds: list[LiveFeed], message: LiveMessage) -> None:
    """Hand one message to many feeds with one wake-up per event loop, not one per viewer."""
    by_loop: dict[asyncio.AbstractEventLoop, list[LiveFeed]] = {}
    for feed in feeds:
        by_loop.setdefault(feed.loop, []).append(feed)
    for loop, group in by_loop.items():
        if not loop.is_closed():
            loop.call_soon_threadsafe(_offer_each, group, message)


def _offer_each(feeds: list[LiveFeed], message: LiveMessage) -> None:
    for feed in feeds:
        feed.offer(message)
