"""A small server-sent events client for the stream tests (the server they
listen to: tests/servers.py)."""

from __future__ import annotations

import json
import queue
import threading
from dataclasses import dataclass

import httpx

# Generous: only a broken stream ever waits this long.
WAIT = 20.0


@dataclass
class Message:
    id: int | None
    event: str
    data: dict


class Listener:
    """An SSE client on a thread of its own: `next()` returns the next message
    (heartbeat comments are counted, not returned)."""

    def __init__(self, base: str, *, headers: dict | None = None, **params: str):
        self.url = f"{base}/api/v1/stream/"
        self.params = params
        self.headers = headers or {}
        self.status: int | None = None
        self.content_type: str | None = None
        self.raw = bytearray()
        self.heartbeats = 0
        self.last_id: int | None = None
        self._messages: queue.Queue = queue.Queue()
        self._opened = threading.Event()
        self._stop = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(WAIT, read=None))
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._opened.wait(WAIT):
            raise AssertionError("the stream did not answer")

    def _run(self) -> None:
        try:
            with self._client.stream(
                "GET", self.url, params=self.params, headers=self.headers
            ) as response:
                self.status = response.status_code
                self.content_type = response.headers.get("content-type")
                if response.status_code != 200:
                    self.raw.extend(response.read())
                    self._opened.set()
                    return
                self._opened.set()
                self._read(response)
        except httpx.HTTPError:
            pass
        finally:
            self._opened.set()
            self._messages.put(None)

    def _read(self, response) -> None:
        fields: dict[str, str] = {}
        buffer = b""
        for chunk in response.iter_raw():
            if self._stop.is_set():
                return
            self.raw.extend(chunk)
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                text = line.decode()
                if text.startswith(":"):
                    if "heartbeat" in text:
                        self.heartbeats += 1
                    continue
                if text:
                    name, _, value = text.partition(":")
                    fields[name] = value.removeprefix(" ")
                    continue
                if "id" in fields:
                    self.last_id = int(fields["id"])
                if "data" in fields:
                    self._messages.put(
                        Message(
                            int(fields["id"]) if "id" in fields else None,
                            fields.get("event", "message"),
                            json.loads(fields["data"]),
                        )
                    )
                fields = {}

    def problem(self) -> dict:
        return json.loads(bytes(self.raw))

    def next(self, timeout: float = WAIT) -> Message:
        try:
            message = self._messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no message arrived") from None
        if message is None:
            raise AssertionError("the stream ended")
        return message

    def take(self, count: int) -> list[Message]:
        return [self.next() for _ in range(count)]

    def until(self, predicate) -> list[Message]:
        """Every message up to and including the first that satisfies `predicate`."""
        seen = []
        while True:
            message = self.next()
            seen.append(message)
            if predicate(message):
                return seen

    def close(self) -> None:
        self._stop.set()
        self._client.close()
        self._thread.join(timeout=WAIT)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
