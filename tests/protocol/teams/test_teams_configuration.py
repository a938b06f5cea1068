"""What the Teams adapter hands botbuilder as configuration, from `Settings` alone."""

from __future__ import annotations

import pytest

from adapters.server import build_app
from adapters.teams.auth import OVERRIDE_KEYS, CloudEndpoints, auth_settings
from adapters.teams.mount import teams_mount
from bot.config import Settings
from bot.errors import ConfigError

APP_ID = "0f6c2a3e-6d3b-4c8e-9a55-2b1e7c4d9f10"
TENANT = "5d1c9e44-8b0a-4f3e-a2c1-7e6f5a4b3c2d"


def teams_settings(**values: str) -> Settings:
    return Settings(
        **{"teams_app_id": APP_ID, "teams_app_password": "s3cret", "teams_app_tenant_id": TENANT}
        | values
    )


def test_production_configuration_uses_microsofts_endpoints() -> None:
    # Only TEAMS_APP_* settings: none of the keys that move authentication elsewhere, so
    # botbuilder validates tokens against the Bot Framework's own issuer and signing keys.
    config = auth_settings(teams_settings())

    assert config == {
        "APP_ID": APP_ID,
        "APP_PASSWORD": "s3cret",
        "APP_TYPE": "SingleTenant",
        "APP_TENANTID": TENANT,
    }
    assert not set(config) & set(OVERRIDE_KEYS)


def test_the_test_endpoints_are_the_only_way_to_override() -> None:
    endpoints = CloudEndpoints(
        "http://127.0.0.1:1/openid",
        "https://issuer.test",
        "https://scope.test",
        "https://login.test",
    )

    config = auth_settings(teams_settings(), endpoints)

    assert config["TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL"] == "http://127.0.0.1:1/openid"
    assert config["TO_BOT_FROM_CHANNEL_TOKEN_ISSUER"] == "https://issuer.test"


def test_without_an_app_id_the_bot_runs_in_local_mode() -> None:
    config = auth_settings(Settings(teams_app_id="", teams_app_type="SingleTenant"))

    assert config == {"APP_ID": "", "APP_PASSWORD": "", "APP_TYPE": "MultiTenant"}


def test_multi_tenant_needs_no_tenant_id() -> None:
    config = auth_settings(teams_settings(teams_app_type="multitenant", teams_app_tenant_id=""))

    assert config["APP_TYPE"] == "MultiTenant"
    assert "APP_TENANTID" not in config


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"teams_app_tenant_id": ""}, "TEAMS_APP_TENANT_ID"),
        ({"teams_app_password": ""}, "TEAMS_APP_PASSWORD"),
        ({"teams_app_type": "AnyTenant"}, "TEAMS_APP_TYPE"),
    ],
)
def test_incomplete_credentials_are_a_config_error_naming_the_setting(
    values: dict, named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        auth_settings(teams_settings(**values))


def test_the_server_refuses_to_start_with_incomplete_credentials(assistant) -> None:
    settings = teams_settings(teams_app_tenant_id="")

    with pytest.raises(ConfigError, match="TEAMS_APP_TENANT_ID"):
        build_app(settings, assistant, mounts=[teams_mount()])


def test_the_secret_never_shows_in_the_settings_repr() -> None:
    assert "s3cret" not in repr(teams_settings())
