"""Account writes: registration, users, organizations, API tokens.

Who may do what: anyone may sign up (always as a customer) and exchange their
own e-mail and password for a token; a signed-in user revokes only their own
tokens; only administrators create organizations and users of any role.
`actor=None` is the operator at the command line (`venueos createuser`, the
demo loader), never an API caller: views pass `request.user`, which is an
anonymous user, not None, when nobody signed in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from venueos.accounts.models import ApiToken, Organization, Role, User
from venueos.accounts.selectors import organization_find
from venueos.common.permissions import require_admin, require_signed_in
from venueos.common.problems import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    SlugTaken,
)

TOKEN_PREFIX = "vos_"


def hash_token(raw: str) -> str:
    # Tokens carry 256 bits of entropy, so a fast hash is safe (no brute force).
    return hashlib.sha256(raw.encode()).hexdigest()


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(
            " ".join(exc.messages), errors={"password": exc.messages}
        ) from exc


def _email_taken(email: str) -> Conflict:
    return Conflict(
        f"An account with e-mail {email} already exists.",
        slug="email-taken",
        title="E-mail already registered",
    )


def _require_operator_or_admin(actor: User | None) -> None:
    if actor is not None:
        require_admin(actor)


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    email: str,
    password: str,
    full_name: str,
    role: str = Role.CUSTOMER,
    organization: Organization | None = None,
    organization_id: UUID | None = None,
) -> User:
    """A user of any role, by an administrator (or the operator, `actor=None`);
    a manager belongs to `organization` (or `organization_id`)."""
    _require_operator_or_admin(actor)
    if organization is None and organization_id is not None:
        organization = organization_find(organization_id)
        if organization is None:
            raise InvalidInput.field("organization_id", "No such organization.")
    return _user_save(
        email=email,
        password=password,
        full_name=full_name,
        role=role,
        organization=organization,
    )


def _user_save(
    *,
    email: str,
    password: str,
    full_name: str,
    role: str,
    organization: Organization | None,
) -> User:
    email = User.objects.normalize_email(email).lower()
    if role == Role.MANAGER and organization is None:
        raise InvalidInput.field("organization_id", "A manager needs an organization.")
    user = User(email=email, full_name=full_name, role=role, organization=organization)
    _check_password(password, user)
    user.set_password(password)
    if User.objects.filter(email__iexact=email).exists():
        raise _email_taken(email)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent sign-up with the same e-mail
        raise _email_taken(email) from exc
    return user


@transaction.atomic
def user_register(*, email: str, password: str, full_name: str) -> User:
    """Self-service sign-up, open to anyone: always a customer."""
    return _user_save(
        email=email,
        password=password,
        full_name=full_name,
        role=Role.CUSTOMER,
        organization=None,
    )


@transaction.atomic
def organization_create(
    *, name: str, slug: str | None = None, actor: User
) -> Organization:
    require_admin(actor)
    slug = slug or slugify(name)[:100]
    if not slug:
        raise InvalidInput.field("slug", "Give a slug of letters, digits and hyphens.")
    taken = SlugTaken(f"Organization slug '{slug}' is taken.")
    if Organization.objects.filter(slug=slug).exists():
        raise taken
    try:
        with transaction.atomic():
            return Organization.objects.create(name=name, slug=slug)
    except IntegrityError as exc:  # a concurrent create with the same slug
        raise taken from exc


@transaction.atomic
def organization_get_or_create(*, actor: User | None, slug: str) -> Organization:
    """The organization with `slug`, created if missing (administrators and the
    operator: `venueos createuser --organization`)."""
    _require_operator_or_admin(actor)
    organization, _ = Organization.objects.get_or_create(
        slug=slug, defaults={"name": slug.replace("-", " ").title()}
    )
    return organization


@transaction.atomic
def token_create(
    *,
    email: str,
    password: str,
    name: str = "",
    expires_in_days: int | None = None,
) -> tuple[ApiToken, str]:
    """Exchange credentials for a new token; the raw token is returned only here."""
    # The model backend directly, not authenticate(): this login is limited by
    # the per-address throttle, and the admin's lockout (django-axes, keyed on
    # the request) has no request here.
    user = ModelBackend().authenticate(None, email=email.lower(), password=password)
    if user is None or not user.is_active:
        raise NotAuthenticated(
            "E-mail or password is wrong.",
            slug="invalid-credentials",
            title="Invalid credentials",
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    max_age = settings.VENUEOS_TOKEN_MAX_AGE_DAYS
    if max_age:
        expires_in_days = min(expires_in_days or max_age, max_age)
    expires_at = (
        timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    )
    token = ApiToken.objects.create(
        user=user,
        name=name or "API token",
        prefix=raw[:12],
        token_hash=hash_token(raw),
        expires_at=expires_at,
    )
    return token, raw


@transaction.atomic
def token_revoke(*, token_id, actor: User) -> None:
    """Revoke one of the actor's own tokens (anyone else's is not found)."""
    require_signed_in(actor)
    updated = ApiToken.objects.filter(
        pk=token_id, user=actor, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if not updated:
        raise NotFound("No such token.")
