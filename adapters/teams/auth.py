"""Bot Framework authentication for the Teams channel, built from `Settings`.

Production reads only TEAMS_APP_ID, TEAMS_APP_PASSWORD, TEAMS_APP_TYPE and
TEAMS_APP_TENANT_ID, so botbuilder uses Microsoft's real endpoints (token validation against
the Bot Framework's OpenID metadata, outbound tokens from Entra ID). With no app id the bot
runs in local mode: no authentication, which is what the Bot Framework Emulator speaks.

`CloudEndpoints` replaces those endpoints with others: the protocol tests point them at a
local fake cloud. botbuilder calls these its "parameterized" settings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from bot.config import Settings
from bot.errors import ConfigError

APP_TYPES = {
    "singletenant": "SingleTenant",
    "multitenant": "MultiTenant",
    "userassignedmsi": "UserAssignedMSI",
}

# botbuilder's configuration keys that move authentication away from Microsoft's public cloud.
OVERRIDE_KEYS = (
    "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL",
    "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER",
    "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL",
    "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE",
    "TO_CHANNEL_FROM_BOT_LOGIN_URL",
    "OAUTH_URL",
    "CALLER_ID",
    "CHANNEL_SERVICE",
)


@dataclass(frozen=True, slots=True)
class CloudEndpoints:
    """Where inbound tokens are validated and outbound tokens are for, instead of Microsoft's.

    `outbound_token`, when set, is the bearer token sent to the Bot Connector instead of one
    obtained from Entra ID (which only speaks HTTPS to Microsoft's login hosts).
    """

    openid_metadata_url: str
    token_issuer: str
    oauth_scope: str
    login_url: str
    outbound_token: str | None = None


def auth_settings(settings: Settings, endpoints: CloudEndpoints | None = None) -> dict[str, str]:
    """The key/value configuration handed to botbuilder; `ConfigError` if it cannot work."""
    app_id = settings.teams_app_id.strip()
    if not app_id:
        # Local mode: botbuilder disables authentication when the app id is empty, but only
        # for the multi-tenant credential type (single-tenant insists on an id).
        config = {"APP_ID": "", "APP_PASSWORD": "", "APP_TYPE": "MultiTenant"}
    else:
        app_type = APP_TYPES.get(settings.teams_app_type.strip().lower())
        if app_type is None:
            raise ConfigError(
                f"TEAMS_APP_TYPE: {settings.teams_app_type!r} is not one of "
                f"{', '.join(APP_TYPES.values())}"
            )
        password = settings.teams_app_password.get_secret_value()
        tenant = settings.teams_app_tenant_id.strip()
        if app_type != "UserAssignedMSI" and not password and endpoints is None:
            raise ConfigError("TEAMS_APP_PASSWORD: required when TEAMS_APP_ID is set")
        if app_type != "MultiTenant" and not tenant:
            raise ConfigError(f"TEAMS_APP_TENANT_ID: required for TEAMS_APP_TYPE={app_type}")
        config = {"APP_ID": app_id, "APP_PASSWORD": password, "APP_TYPE": app_type}
        if tenant:
            config["APP_TENANTID"] = tenant
    if endpoints is not None:
        config["TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL"] = endpoints.openid_metadata_url
        config["TO_BOT_FROM_CHANNEL_TOKEN_ISSUER"] = endpoints.token_issuer
        config["TO_CHANNEL_FROM_BOT_OAUTH_SCOPE"] = endpoints.oauth_scope
        config["TO_CHANNEL_FROM_BOT_LOGIN_URL"] = endpoints.login_url
    return config


def has_expiry(claims_identity: Any) -> bool:
    """The validated token carried a numeric `exp` (botbuilder checked its value, with its
    five minutes of clock tolerance, but lets a token without one live forever)."""
    claims = getattr(claims_identity, "claims", None) or {}
    expiry = claims.get("exp")
    return isinstance(expiry, int | float) and not isinstance(expiry, bool)


# Tokens from the Bot Connector are Entra ID access tokens: 60-90 minutes by default, a day
# at most. botframework-connector 4.17 (`JwtTokenExtractor`) checks `exp` with five minutes
# of clock tolerance and sets no upper bound, so a signed token expiring in the year 2200
# would be good for ever: here a token may live a day, with the same tolerance.
MAX_TOKEN_LIFETIME = 24 * 3600  # seconds
CLOCK_SKEW = 5 * 60  # seconds, botbuilder's `clock_tolerance`


def lifetime_problem(claims_identity: Any, now: float | None = None) -> str | None:
    """Why the validated token's lifetime is refused (`exp` too far from `iat` or from now,
    `iat` in the future), or None. Call after `has_expiry`."""
    claims = getattr(claims_identity, "claims", None) or {}
    now = time.time() if now is None else now
    expiry = float(claims["exp"])
    limit = MAX_TOKEN_LIFETIME + CLOCK_SKEW
    if expiry - now > limit:
        return f"`exp` is {expiry - now:.0f} s away (at most {MAX_TOKEN_LIFETIME} s)"
    issued = claims.get("iat")
    if isinstance(issued, int | float) and not isinstance(issued, bool):
        if issued > now + CLOCK_SKEW:
            return f"`iat` is {issued - now:.0f} s in the future"
        if expiry - issued > limit:
            lifetime = expiry - issued
            return f"`exp` - `iat` is {lifetime:.0f} s (at most {MAX_TOKEN_LIFETIME} s)"
    return None


def build_authentication(settings: Settings, endpoints: CloudEndpoints | None = None) -> Any:
    """botbuilder's `BotFrameworkAuthentication` for these settings, reusing its clients."""
    from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication

    from adapters.teams.connectors import ReusingAuthentication

    config = auth_settings(settings, endpoints)
    credentials = None
    if endpoints is not None and endpoints.outbound_token is not None:
        credentials = _static_token_factory(config["APP_ID"], endpoints.outbound_token)
    try:
        inner = ConfigurationBotFrameworkAuthentication(
            SimpleNamespace(**config), credentials_factory=credentials
        )
    except Exception as exc:  # botbuilder raises bare Exception for missing properties
        raise ConfigError(f"Teams authentication settings: {exc}") from exc
    return ReusingAuthentication(inner)


def _static_token_factory(app_id: str, token: str) -> Any:
    """A credentials factory whose outbound requests carry `token` (for a private/fake cloud)."""
    from botframework.connector.auth import AppCredentials, ServiceClientCredentialsFactory

    class StaticToken(AppCredentials):
        def get_access_token(self, force_refresh: bool = False) -> str:
            return token

    class StaticTokenFactory(ServiceClientCredentialsFactory):
        async def is_valid_app_id(self, candidate: str) -> bool:
            return candidate == app_id

        async def is_authentication_disabled(self) -> bool:
            return not app_id

        async def create_credentials(
            self, candidate: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
        ) -> AppCredentials:
            if candidate != app_id:
                raise PermissionError(f"no credentials for app id {candidate!r}")
            return StaticToken(app_id=app_id, oauth_scope=oauth_scope)

    return StaticTokenFactory()
