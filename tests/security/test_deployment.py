"""Finding 10: a deployment can turn on HTTPS hardening from the environment,
never serves with the built-in SECRET_KEY, and loads demo accounts only where
they belong."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import database_url, free_port
from venueos import cli
from venueos.demo import demo_present

ROOT = Path(__file__).resolve().parents[2]
VENUEOS = str(Path(sys.executable).parent / "venueos")
DEPLOY_WARNINGS = ["W004", "W008", "W012", "W016"]


def _check_deploy(**env: str) -> str:
    environment = dict(os.environ, DATABASE_URL=database_url(), **env)
    for name in ("VENUEOS_HTTPS", "VENUEOS_HSTS_SECONDS", "VENUEOS_SSL_REDIRECT"):
        environment.setdefault(name, "")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stdout + result.stderr


@pytest.mark.django_db
def test_https_settings_come_from_the_environment():
    secure = _check_deploy(
        VENUEOS_HTTPS="1", VENUEOS_SECRET_KEY="k" * 60 + "-not-the-default-at-all"
    )
    for warning in DEPLOY_WARNINGS:
        assert warning not in secure, secure
    plain = _check_deploy()
    for warning in DEPLOY_WARNINGS:
        assert warning in plain  # off unless asked for: plain HTTP on 127.0.0.1


@pytest.mark.django_db
def test_each_https_setting_can_be_set_on_its_own():
    output = _check_deploy(VENUEOS_HSTS_SECONDS="3600")
    assert "W004" not in output
    assert "W008" in output


@pytest.mark.django_db
def test_serve_refuses_the_built_in_secret_key_outside_the_embedded_demo():
    environment = dict(os.environ, DATABASE_URL=database_url())
    environment.pop("VENUEOS_SECRET_KEY", None)
    result = subprocess.run(
        [VENUEOS, "serve", "--port", str(free_port())],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "VENUEOS_SECRET_KEY" in result.stderr


def test_the_embedded_demo_gets_a_generated_key_kept_in_its_home(tmp_path, monkeypatch):
    from venueos import embedded

    monkeypatch.setenv("VENUEOS_HOME", str(tmp_path))
    first = embedded.secret_key()
    assert len(first) >= 50
    assert embedded.secret_key() == first
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == first
    assert key_file.stat().st_mode & 0o077 == 0


@pytest.fixture
def no_serving(monkeypatch, settings):
    settings.SECRET_KEY = "test-" + "k" * 50
    monkeypatch.setattr(cli, "_serve", lambda *args, **kwargs: 0)
    monkeypatch.setattr(cli, "_start_worker", lambda: None)


@pytest.mark.django_db
def test_run_against_a_configured_database_loads_no_demo_accounts(no_serving):
    assert cli.main(["run"]) == 0
    assert not demo_present()


@pytest.mark.django_db
def test_run_with_demo_loads_them_when_asked(no_serving):
    assert cli.main(["run", "--demo"]) == 0
    assert demo_present()


def test_compose_runs_the_app_as_the_role_that_owns_nothing():
    import yaml

    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    owner_url = services["migrate"]["environment"]["VENUEOS_OWNER_DATABASE_URL"]
    assert owner_url.startswith("postgresql://venueos:")
    for name in ("app", "worker", "migrate"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgresql://venueos_app:")
        if name != "migrate":
            assert "VENUEOS_OWNER_DATABASE_URL" not in environment
    assert "./initdb:/docker-entrypoint-initdb.d:ro" in services["db"]["volumes"]
    script = (ROOT / "deploy" / "initdb" / "10-app-role.sh").read_text()
    assert "CREATE ROLE venueos_app LOGIN" in script
