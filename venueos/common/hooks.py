"""Explicit, documented extension points between layers.

Dependencies point one way (`common <- audit <- accounts <- venues <- bookings
<- events`, then the web UI and real time; import-linter checks it). When a
lower layer must let a higher one take part in a write (a space may not move
while it has bookings; every audited change may start an e-mail), the lower
layer defines a `Hook` in its `hooks.py` and calls it; the higher layer
connects a receiver at start-up, in its `AppConfig.ready()`. The lower layer
never imports the higher one.

Receivers run synchronously, in connection order, inside the caller's
transaction. A receiver refuses by raising a `Problem`; the write then rolls
back and the client gets that problem. Anything that must not happen unless
the transaction commits (a NOTIFY, an e-mail) belongs in
`transaction.on_commit` or in a row written in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Receiver = Callable[..., None]


class Hook:
    def __init__(self, name: str) -> None:
        self.name = name
        self._receivers: list[Receiver] = []

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._receivers)} receiver(s)>"

    @property
    def receivers(self) -> tuple[Receiver, ...]:
        return tuple(self._receivers)

    def connect(self, receiver: Receiver) -> Receiver:
        """Add a receiver (once; connecting it again changes nothing); returns
        it, so `@hook.connect` works as a decorator."""
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    def disconnect(self, receiver: Receiver) -> None:
        if receiver in self._receivers:
            self._receivers.remove(receiver)

    @contextmanager
    def connected(self, receiver: Receiver) -> Iterator[Receiver]:
        """Connected for the block only (tests)."""
        self.connect(receiver)
        try:
            yield receiver
        finally:
            self.disconnect(receiver)

    def __call__(self, **arguments: Any) -> None:
        for receiver in tuple(self._receivers):
            receiver(**arguments)
