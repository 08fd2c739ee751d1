#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    from venueos.embedded import ensure_database_url

    ensure_database_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "venueos.settings")
    import django
    from django.core.management import execute_from_command_line

    django.setup()
    from venueos.common.dbroles import as_owner, needs_owner

    if needs_owner(sys.argv[1:]):
        with as_owner():
            execute_from_command_line(sys.argv)
    else:
        execute_from_command_line(sys.argv)
