"""`serve` is closed by default: without Teams credentials it listens on loopback only,
unless TEAMS_LOCAL_MODE=true says otherwise on purpose (and then warns at every start)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fakes.harness import KNOWLEDGE

from adapters.exposure import is_loopback_host, is_loopback_url, local_mode_warning
from bot.config import Settings, load_settings
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def serve(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`billing-bot serve` as a process; a server that starts is a test that times out."""
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", "serve", "--port", "0", *args],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "HOST"},
            "KNOWLEDGE_DIR": str(KNOWLEDGE),
            "DATA_DIR": str(tmp_path),
            "DATABASE_URL": "",
            "TEAMS_APP_ID": "",
            "TEAMS_LOCAL_MODE": "false",
            "EMBEDDING_MODEL": "hashing",
            "EMBEDDING_MODEL_ES": "hashing",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_serve_without_teams_credentials_refuses_a_public_address(
    tmp_path: Path, host: str
) -> None:
    done = serve(tmp_path, "--host", host)

    assert done.returncode == 1
    assert f"refusing to serve on {host} without Teams credentials" in done.stderr
    assert "TEAMS_LOCAL_MODE=true" in done.stderr and "TEAMS_APP_ID" in done.stderr
    assert "serving on" not in done.stderr
    assert not (tmp_path / "billing.db").exists()  # refused before anything was opened


def test_local_mode_with_an_app_id_is_refused_as_contradictory(tmp_path: Path) -> None:
    done = serve(tmp_path, TEAMS_APP_ID="0f6c2a3e", TEAMS_LOCAL_MODE="true")

    assert done.returncode == 1
    assert "TEAMS_LOCAL_MODE=true and TEAMS_APP_ID are both set" in done.stderr


def settings(**values: object) -> Settings:
    return load_settings(_env_file=None, **values)


def test_the_default_host_is_loopback_and_needs_no_flag() -> None:
    default = Settings.model_fields["host"].default
    assert is_loopback_host(default)
    assert local_mode_warning(settings(teams_app_id=""), default) is None


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_hosts_serve_local_mode_silently(host: str) -> None:
    assert local_mode_warning(settings(teams_app_id=""), host) is None


def test_teams_local_mode_allows_a_public_address_and_says_so() -> None:
    warning = local_mode_warning(settings(teams_app_id="", teams_local_mode=True), "0.0.0.0")

    assert warning is not None
    assert "TEAMS_LOCAL_MODE=true" in warning and "NOT authenticated" in warning


def test_with_credentials_any_address_is_fine() -> None:
    assert local_mode_warning(settings(teams_app_id="0f6c2a3e"), "0.0.0.0") is None
    with pytest.raises(ConfigError, match=r"refusing to serve on 10\.1\.2\.3"):
        local_mode_warning(settings(teams_app_id=""), "10.1.2.3")


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:9000/", True),
        ("https://localhost/", True),
        ("http://[::1]:9000/api", True),
        ("http://127.0.0.1.attacker.example/", False),
        ("https://smba.trafficmanager.net/emea/", False),
        ("http://0.0.0.0/", False),
        ("ftp://127.0.0.1/", False),
        ("http://[::1/", False),
        ("", False),
    ],
)
def test_loopback_service_urls(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback
