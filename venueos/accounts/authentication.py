"""`Authorization: Bearer <token>` (or `Token <token>`) against hashed API tokens.

This runs on every API request, so the lookup is one hand-written query
(token and user together) rather than an ORM query compiled each time.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework import authentication, exceptions

from venueos.accounts import token_uses
from venueos.accounts.models import User
from venueos.accounts.services import hash_token

SCHEMES = {b"bearer", b"token"}
# Noting every use would be wasted work; once a minute is enough (and the notes
# are written in batches: token_uses.py).
LAST_USED_RESOLUTION = timedelta(minutes=1)
# Every column, so the user object is complete (safe to save, like an ORM load).
_USER_COLUMNS = tuple(field.column for field in User._meta.concrete_fields)
_LOOKUP_SQL = (
    "SELECT t.id, t.created_at, t.expires_at, t.last_used_at, "
    + ", ".join(f"u.{column}" for column in _USER_COLUMNS)
    + " FROM accounts_apitoken t JOIN accounts_user u ON u.id = t.user_id"
    " WHERE t.token_hash = %s AND t.revoked_at IS NULL"
)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in SCHEMES:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header; expected 'Bearer <token>'."
            )
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(
                "The token contains invalid characters."
            ) from exc
        with connection.cursor() as cursor:
            cursor.execute(_LOOKUP_SQL, [hash_token(raw)])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        token_id, created_at, expires_at, last_used_at, *user_values = row
        user = User(**dict(zip(_USER_COLUMNS, user_values, strict=True)))
        user._state.adding, user._state.db = False, "default"
        now = timezone.now()
        if not user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        if expires_at and expires_at <= now:
            raise exceptions.AuthenticationFailed("This token has expired.")
        # Also tokens made before the maximum age was configured.
        max_age = settings.VENUEOS_TOKEN_MAX_AGE_DAYS
        if max_age and created_at + timedelta(days=max_age) <= now:
            raise exceptions.AuthenticationFailed("This token has expired.")
        if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
            token_uses.record_use(token_id, now)
        return user, token_id

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


def lockout_username(request, credentials: dict | None) -> str | None:
    """The account a sign-in attempt names, for django-axes: forms send it as
    `username` (the admin) or `email`; case does not make a new account."""
    source = credentials or getattr(request, "POST", {})
    value = source.get("username") or source.get("email") or ""
    return value.strip().lower() or None
