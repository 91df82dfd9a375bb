"""A board client that follows the realtime protocol, as the browser does.

On every hello and on every gap in ``seq`` it fetches ``/events/?after=<last>``
and drops what it already has (dedupe by seq); when its socket drops it
reconnects to the next server. ``shown`` is what a user would have seen.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any

import websockets


def get_json(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


class BoardClient:
    def __init__(self, urls: list[str], board: int, token: str) -> None:
        self.urls = urls
        self.board = board
        self.token = token
        self.start: int | None = None  # the first hello's seq
        self.last = 0
        self.shown: list[int] = []
        self.received_twice = 0  # dropped by the dedupe, never shown
        self.reconnects = 0
        self.presence: list[dict[str, Any]] = []
        self.ready = asyncio.Event()
        self.url = urls[0]

    async def run(self) -> None:
        index = 0
        while True:
            self.url = self.urls[index % len(self.urls)]
            ws_url = self.url.replace("http", "ws", 1)
            try:
                async with websockets.connect(
                    f"{ws_url}/ws/boards/{self.board}/",
                    additional_headers={"Authorization": f"Token {self.token}"},
                    compression=None,
                ) as socket:
                    async for text in socket:
                        await self.handle(json.loads(text))
            except (OSError, websockets.ConnectionClosed, websockets.InvalidHandshake):
                pass
            self.reconnects += 1
            index += 1
            await asyncio.sleep(0.1)

    async def handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "hello":
            if self.start is None:
                self.start = self.last = message["seq"]
            elif message["seq"] > self.last:
                await self.heal()
            self.ready.set()
        elif kind.startswith("presence."):
            self.presence.append(message)
        elif message.get("seq") is not None:
            if message["seq"] > self.last + 1:
                await self.heal()
            self.show(message)

    def show(self, event: dict[str, Any]) -> None:
        if event["seq"] <= self.last:
            self.received_twice += 1
            return
        assert event["seq"] == self.last + 1, (self.last, event["seq"])
        self.shown.append(event["seq"])
        self.last = event["seq"]

    async def heal(self) -> None:
        while True:
            url = f"{self.url}/api/boards/{self.board}/events/?after={self.last}"
            body = await asyncio.to_thread(get_json, url, self.token)
            for event in body["events"]:
                self.show(event)
            if not body["has_more"]:
                return
