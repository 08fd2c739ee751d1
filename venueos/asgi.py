"""ASGI entry point. `DATABASE_URL` is set by `venueos serve` before workers start."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "venueos.settings")
application = get_asgi_application()
