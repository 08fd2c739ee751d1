"""Two database logins: the owner runs migrations, the application runs as a
role that owns nothing.

The application's role (`VENUEOS_APP_ROLE`; by default the user of
`DATABASE_URL` when `VENUEOS_OWNER_DATABASE_URL` names another login) may read
and write the application's tables, but only INSERT and SELECT the audit log,
and it can neither TRUNCATE, ALTER, DROP nor disable a trigger (only an owner
can), nor set `session_replication_role` (only a superuser can). So a bug or
an injection in the application cannot erase history. The grants are applied
after every `migrate` (a post_migrate handler), so a new table is covered the
moment it exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.db import connections
from psycopg import sql

# Tables the application may only append to and read.
APPEND_ONLY_TABLES = ("audit_auditentry",)
# The narrow functions that may change what the application may not.
GRANTED_FUNCTIONS = ("audit_erase_personal_entries(uuid[])",)
# Read-only for the application: which migrations ran is the owner's business.
READ_ONLY_TABLES = ("django_migrations",)


def grant_statements(role: str) -> list[sql.Composed]:
    name = sql.Identifier(role)
    statements = [
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}"),
        sql.SQL(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}"
        ),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}"),
        # Tables a later migration creates are covered before the next grant.
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public"
            " GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
        ),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public"
            " GRANT USAGE, SELECT ON SEQUENCES TO {}"
        ),
    ]
    composed = [statement.format(name) for statement in statements]
    for table in APPEND_ONLY_TABLES:
        composed.append(
            sql.SQL(
                "REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {} FROM {}"
            ).format(sql.Identifier(table), name)
        )
    for function in GRANTED_FUNCTIONS:
        composed.append(
            sql.SQL("GRANT EXECUTE ON FUNCTION {} TO {}").format(
                sql.SQL(function), name
            )
        )
    for table in READ_ONLY_TABLES:
        composed.append(
            sql.SQL(
                "REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER"
                " ON {} FROM {}"
            ).format(sql.Identifier(table), name)
        )
    return composed


def grant_app_role(using: str = "default") -> None:
    """Give the application's role exactly its privileges on this database."""
    role = settings.VENUEOS_APP_ROLE
    connection = connections[using]
    if not role or connection.settings_dict["USER"] == role:
        return
    with connection.cursor() as cursor:
        for statement in grant_statements(role):
            cursor.execute(statement)


def grant_after_migrate(sender, using="default", **kwargs) -> None:
    grant_app_role(using)


@contextmanager
def as_owner(using: str = "default") -> Iterator[None]:
    """Run the block on the owner's login (`VENUEOS_OWNER_DATABASE_URL`), then
    go back to the application's. Without an owner URL, nothing changes."""
    owner_url = settings.VENUEOS_OWNER_DATABASE_URL
    if not owner_url:
        yield
        return
    parsed = urlparse(owner_url)
    connection = connections[using]
    saved = {key: connection.settings_dict[key] for key in ("USER", "PASSWORD")}
    connection.close()
    connection.settings_dict["USER"] = unquote(parsed.username or "")
    connection.settings_dict["PASSWORD"] = unquote(parsed.password or "")
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


# Management commands that change the schema: the owner's work.
OWNER_COMMANDS = {"migrate", "createcachetable"}


def needs_owner(argv: list[str]) -> bool:
    return bool(argv) and argv[0] in OWNER_COMMANDS
