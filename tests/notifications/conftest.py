"""A real SMTP server (aiosmtpd) on a local port, and ways to run the queue."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from procrastinate.contrib.django import app

from tests.servers import database_url, free_port

SMTP_PORTS = range(
    int(os.environ.get("VENUEOS_TEST_SMTP_PORT", "8525")),
    int(os.environ.get("VENUEOS_TEST_SMTP_PORT", "8525")) + 25,
)


@dataclass
class Inbox:
    """What the SMTP server accepted. `hold` (a threading.Event) keeps every
    RCPT waiting until it is set; `refuse` answers that many DATA with 451."""

    messages: list = field(default_factory=list)
    hold: threading.Event | None = None
    refuse: int = 0
    rcpt_seen: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_seen.set()
        if self.hold is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.hold.wait, 60)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"

    def recipients(self) -> list[str]:
        return sorted(address for rcpt, _ in self.messages for address in rcpt)

    def wait_for(self, count: int, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.1)


@pytest.fixture
def inbox(settings):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(SMTP_PORTS))
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    handler.url = f"smtp://127.0.0.1:{controller.port}"
    yield handler
    if handler.hold is not None:
        handler.hold.set()
    controller.stop()


@pytest.fixture(autouse=True)
def _empty_queue(settings, django_db_blocker):
    # The worker runs each job in a pool thread; with no persistent connections
    # each job closes its own, so none outlives the test database.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
    # procrastinate's tables are not Django-managed, so no flush empties them.
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE procrastinate_events, procrastinate_periodic_defers,"
            " procrastinate_jobs, procrastinate_workers"
        )


def run_jobs() -> None:
    """Run every due job in this process (as `venueos worker` does), then return."""
    with app.replace_connector(app.connector.get_worker_connector()):
        app.run_worker(wait=False, listen_notify=False, install_signal_handlers=False)


def job_rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, task_name, status::text, attempts, args"
            " FROM procrastinate_jobs WHERE task_name LIKE 'notifications.%%'"
            " ORDER BY id"
        )
        return cursor.fetchall()


def start_worker(inbox: Inbox, **env: str) -> subprocess.Popen:
    """`venueos worker` in its own process, on the test database."""
    url = database_url()
    return subprocess.Popen(
        [sys.executable, "-m", "venueos.cli", "worker"],
        env=os.environ | {"DATABASE_URL": url, "VENUEOS_SMTP_URL": inbox.url} | env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stop_worker(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
