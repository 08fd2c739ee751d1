"""Administrators: organizations and their managers (list and create), next
to a link to the Django admin. The account services and selectors refuse
everyone else."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.shortcuts import redirect, render

from venueos.accounts.models import Role
from venueos.accounts.selectors import manager_list, organization_list
from venueos.accounts.services import organization_create, user_create
from venueos.common.permissions import require_signed_in
from venueos.common.problems import Problem
from venueos.web.forms_manage import ManagerForm, OrganizationForm
from venueos.web.problems import shows_problems
from venueos.web.views.manage import show_problem


def _forms(request, organizations):
    data = request.POST if request.method == "POST" else None
    which = request.POST.get("form") if data is not None else None
    organization_form = OrganizationForm(
        data if which == "organization" else None, prefix="organization"
    )
    manager_form = ManagerForm(
        data if which == "manager" else None,
        prefix="manager",
        organizations=organizations,
    )
    return which, organization_form, manager_form


def _create_organization(request, user, form) -> bool:
    if not form.is_valid():
        return False
    try:
        organization = organization_create(
            name=form.cleaned_data["name"],
            slug=form.cleaned_data["slug"] or None,
            actor=user,
        )
    except Problem as problem:
        show_problem(form, problem, field="name")
        return False
    messages.success(request, f"{organization.name} is created.")
    return True


def _create_manager(request, user, form, organizations) -> bool:
    if not form.is_valid():
        return False
    data = form.cleaned_data
    organization = next(o for o in organizations if str(o.id) == data["organization"])
    try:
        manager = user_create(
            email=data["email"],
            password=data["password"],
            full_name=data["full_name"],
            role=Role.MANAGER,
            organization=organization,
            actor=user,
        )
    except Problem as problem:
        show_problem(form, problem, field="email")
        return False
    messages.success(
        request, f"{manager.full_name} now manages {organization.name}'s venues."
    )
    return True


@shows_problems
def organizations(request):
    user = require_signed_in(request.user)
    organizations = list(organization_list(user=user))
    managers = list(manager_list(user=user))
    which, organization_form, manager_form = _forms(request, organizations)
    if which == "organization" and _create_organization(
        request, user, organization_form
    ):
        return redirect("web:manage-organizations")
    if which == "manager" and _create_manager(
        request, user, manager_form, organizations
    ):
        return redirect("web:manage-organizations")
    by_organization = defaultdict(list)
    for manager in managers:
        by_organization[manager.organization_id].append(manager)
    for organization in organizations:
        organization.managers = by_organization[organization.id]
    invalid = organization_form.errors or manager_form.errors
    return render(
        request,
        "web/manage/organizations.html",
        {
            "organizations": organizations,
            "organization_form": organization_form,
            "manager_form": manager_form,
            "nav": "dashboard",
            "manage_nav": "organizations",
        },
        status=400 if invalid else 200,
    )
