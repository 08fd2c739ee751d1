"""Logging: one line per request (common/observability.py) and per job
(procrastinate's worker), errors with their traceback, every record tagged
with the request id of the request that wrote it.

`VENUEOS_LOG_FORMAT=json` writes one JSON object per line (containers, log
shippers); `text` (the default, `make run`) a readable line.
"""

from __future__ import annotations

import logging

from venueos.common.middleware import current_request


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            context = current_request.get()
            record.request_id = context.request_id if context else None
        return True


def logging_config(*, log_format: str, level: str) -> dict:
    if log_format not in {"json", "text"}:
        raise RuntimeError(
            f"VENUEOS_LOG_FORMAT must be json or text, not {log_format!r}"
        )
    formatters = {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["asctime", "levelname", "name", "message"],
            "rename_fields": {
                "asctime": "time",
                "levelname": "level",
                "name": "logger",
            },
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "venueos.common.logs.RequestIdFilter"}},
        "formatters": {log_format: formatters[log_format]},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # A 409 or a 404 is an answer, not an incident: log only server errors
            # (with their traceback); the request line records every answer.
            "django.request": {"level": "ERROR"},
            "venueos.request": {"level": "INFO"},
            "venueos.notifications": {"level": "INFO"},
            "venueos.bookings.tasks": {"level": "INFO"},
            # One line per job: started, succeeded / failed / retried.
            "procrastinate.worker": {"level": "INFO"},
        },
    }
