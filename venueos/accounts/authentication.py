"""`Authorization: Bearer <token>` (or `Token <token>`) against hashed API tokens."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from venueos.accounts.models import ApiToken
from venueos.accounts.services import hash_token

SCHEMES = {b"bearer", b"token"}
# Recording every use would turn each read into a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


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
        token = (
            ApiToken.objects.select_related("user", "user__organization")
            .filter(token_hash=hash_token(raw), revoked_at__isnull=True)
            .first()
        )
        now = timezone.now()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        if token.expires_at and token.expires_at <= now:
            raise exceptions.AuthenticationFailed("This token has expired.")
        if (
            token.last_used_at is None
            or now - token.last_used_at > LAST_USED_RESOLUTION
        ):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
