"""Without `VENUEOS_SMTP_URL`, every message becomes one `.eml` file (RFC 5322,
opens in any mail client) under `EMAIL_FILE_PATH` (`.venueos/mail/`)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, *, file_path: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.folder = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            recipient = _UNSAFE.sub("_", (message.recipients() or ["nobody"])[0])
            stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
            name = f"{stamp}-{recipient}-{uuid.uuid4().hex[:8]}.eml"
            partial = self.folder / f".{name}.part"
            # Written aside, then renamed: a reader never sees half a message.
            partial.write_bytes(message.message().as_bytes(linesep="\r\n"))
            partial.rename(self.folder / name)
            sent += 1
        return sent
