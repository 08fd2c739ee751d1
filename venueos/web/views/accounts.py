"""Sign up, sign in, sign out: Django sessions with CSRF, plain forms."""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from venueos.accounts.services import user_register
from venueos.common.problems import Problem
from venueos.common.throttling import LoginRateThrottle
from venueos.web.forms import SignInForm, SignUpForm
from venueos.web.problems import add_problem_to_form, problem_message


def _throttled(request) -> Problem | None:
    """The API's sign-up and token limit (per client address, shared by every
    process), so guessing passwords through the site is limited the same way."""
    if LoginRateThrottle().allow_request(request, None):
        return None
    return Problem(status=429, slug="throttled", title="Too many requests")


def _next_url(request) -> str:
    """Where to go after signing in: a local `next`, else the home page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


def sign_up(request):
    form = SignUpForm(request.POST or None)
    status = 200
    if request.method == "POST" and (problem := _throttled(request)):
        form.is_valid()
        add_problem_to_form(form, problem)
        status = 429
    elif request.method == "POST" and form.is_valid():
        try:
            user = user_register(**form.cleaned_data)
        except Problem as problem:
            field = "email" if problem.slug == "email-taken" else None
            add_problem_to_form(form, problem, field=field)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(_next_url(request))
    return render(
        request,
        "web/accounts/sign_up.html",
        {"form": form, "next": _next_url(request), "nav": "sign-up"},
        status=status,
    )


def sign_in(request):
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and (problem := _throttled(request)):
        form.is_valid()
        add_problem_to_form(form, problem)
        status = 429
    elif request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            email=form.cleaned_data["email"].lower(),
            password=form.cleaned_data["password"],
        )
        if user is None:
            form.add_error(
                None,
                problem_message(Problem(slug="invalid-credentials", status=401)),
            )
        else:
            login(request, user)
            return redirect(_next_url(request))
    # A new customer signs up right here, without one more page on the way.
    sign_up_form = SignUpForm(auto_id="new_%s")
    return render(
        request,
        "web/accounts/sign_in.html",
        {
            "form": form,
            "sign_up_form": sign_up_form,
            "next": _next_url(request),
            "nav": "sign-in",
        },
        status=status,
    )


@require_POST
def sign_out(request):
    logout(request)
    return redirect("web:home")
