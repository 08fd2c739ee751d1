"""Who may do what: one place for the role rules every domain shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

from venueos.common.problems import NotAuthenticated, PermissionDenied

if TYPE_CHECKING:
    from venueos.accounts.models import User


def require_signed_in(user) -> User:
    if not user or not user.is_authenticated:
        raise NotAuthenticated("Sign in, or send 'Authorization: Bearer <token>'.")
    return user


def require_admin(user) -> User:
    require_signed_in(user)
    if not user.is_admin:
        raise PermissionDenied("Only administrators may do this.")
    return user


def manages_organization(user, organization_id) -> bool:
    """Admins manage every organization; managers only their own."""
    if not user or not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    return user.is_manager and user.organization_id == organization_id


def require_manager_of(user, organization_id) -> User:
    require_signed_in(user)
    if not manages_organization(user, organization_id):
        raise PermissionDenied("Only managers of this organization may do this.")
    return user


def require_manager_or_admin(user) -> User:
    """Managers (of any organization) and administrators: who runs venues."""
    require_signed_in(user)
    if not (user.is_admin or user.is_manager):
        raise PermissionDenied("Only venue managers and administrators may do this.")
    return user
