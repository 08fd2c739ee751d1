#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    from venueos.embedded import ensure_database_url

    ensure_database_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "venueos.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
