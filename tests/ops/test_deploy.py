"""There is no Docker here: check what can be checked without it. The compose
file parses and wires the services and environment the app needs, and every
command the image and the compose file run is a `venueos` sub-command that
exists (the same commands the other tests run)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from venueos.cli import build_parser

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _final_stage(dockerfile: str) -> list[str]:
    # Continuation lines joined; the lines after the last FROM.
    text = re.sub(r"\\\n\s*", " ", dockerfile)
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    last_from = max(i for i, line in enumerate(lines) if line.startswith("FROM "))
    return lines[last_from:]


def _assert_venueos_command(argv: list[str]) -> None:
    assert argv[0] == "venueos", argv
    args = build_parser().parse_args(argv[1:])  # exits (fails) if unknown
    assert callable(args.handler)


def test_compose_has_postgres_16_or_newer_the_app_a_worker_and_optional_redis(
    compose,
):
    services = compose["services"]
    assert {"db", "migrate", "app", "worker", "redis"} <= set(services)
    image, _, tag = services["db"]["image"].partition(":")
    assert image == "postgres" and int(tag.split(".")[0]) >= 16
    assert services["redis"]["profiles"] == ["redis"]  # optional
    for name in ("app", "worker"):
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert "8000:8000" in services["app"]["ports"]


def test_every_app_container_gets_the_environment_the_app_needs(compose):
    for name in ("migrate", "app", "worker"):
        environment = compose["services"][name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgresql://")
        assert "@db:5432/" in environment["DATABASE_URL"]
        for variable in (
            "VENUEOS_SECRET_KEY",
            "VENUEOS_ALLOWED_HOSTS",
            "VENUEOS_SMTP_URL",
            "VENUEOS_METRICS_TOKEN",
            "REDIS_URL",
        ):
            assert variable in environment, (name, variable)
        assert environment["VENUEOS_LOG_FORMAT"] == "json"
        # No default secret: compose refuses to start without one.
        assert ":?" in environment["VENUEOS_SECRET_KEY"]


def test_compose_and_image_commands_are_venueos_sub_commands(compose):
    for name in ("migrate", "app", "worker"):
        _assert_venueos_command(compose["services"][name]["command"])
    stage = _final_stage((DEPLOY / "Dockerfile").read_text())
    [cmd] = [line for line in stage if line.startswith("CMD ")]
    _assert_venueos_command(json.loads(cmd.removeprefix("CMD ")))


def test_the_image_is_slim_runs_as_a_user_and_has_no_build_tools():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    stage = _final_stage(dockerfile)
    assert re.fullmatch(r"FROM python:3\.\d+-slim", stage[0])
    users = [line.split()[1] for line in stage if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    run_lines = " ".join(line for line in stage if line.startswith("RUN "))
    for tool in ("gcc", "build-essential", "make", "libpq-dev", "pip install"):
        assert tool not in run_lines
    env = " ".join(line for line in stage if line.startswith("ENV "))
    assert "VENUEOS_LOG_FORMAT=json" in env
    health = next(line for line in stage if line.startswith("HEALTHCHECK"))
    assert "/health/live" in health
    copied = shlex.split(next(line for line in stage if line.startswith("COPY ")))
    assert copied[1] == "--from=build"  # only the built environment is copied in
