"""The project's p95 latency goals per kind of request, in milliseconds: one
place for the saturation table (bench/report.py) and the capacity model
(bench/capacity.py), so both judge against the same numbers."""

from __future__ import annotations

P95_TARGET_MS = {
    "availability": 100,
    "availability_venue": 100,
    "list": 150,  # my bookings
    "create": 100,
    "conflict": 50,  # a create that loses (409)
}
