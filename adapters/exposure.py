"""Who may reach the server unauthenticated: local mode's limits.

Without TEAMS_APP_ID, Teams requests are not authenticated (what the Bot Framework
Emulator speaks). Anyone who can reach the port could then name a customer's tenant (not
a secret) and have that customer's invoices posted to a URL of their choosing. So local
mode is closed by default:
- `serve` listens on a non-loopback address without Teams credentials only when
  TEAMS_LOCAL_MODE=true says so on purpose (and warns at every start);
- a local-mode activity's `serviceUrl` (where replies are POSTed) must be a loopback
  address: the Emulator's own, never someone else's server.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from bot.config import Settings
from bot.errors import ConfigError


def is_loopback_host(host: str) -> bool:
    """`host` (an address or a name) is, or resolves only to, loopback addresses."""
    host = host.strip().strip("[]")
    if not host:  # every interface
        return False
    literal = _loopback_literal(host)
    if literal is not None:
        return literal
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return bool(infos) and all(_loopback_literal(str(info[4][0])) for info in infos)


def is_loopback_url(url: str) -> bool:
    """`url` is http(s) to a loopback address or `localhost`. Names other than localhost
    are not resolved: what one resolves to now is not what it resolves to at send time."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    return host == "localhost" or bool(_loopback_literal(host))


def _loopback_literal(host: str) -> bool | None:
    """Whether an IP literal is loopback; None when `host` is not an IP literal."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return None


def local_mode_warning(settings: Settings, host: str) -> str | None:
    """Whether `serve` may listen on `host` with these settings: a `ConfigError` saying why
    not; else the warning to log at start (None: nothing to say)."""
    if settings.teams_app_id.strip():
        if settings.teams_local_mode:
            raise ConfigError(
                "TEAMS_LOCAL_MODE=true and TEAMS_APP_ID are both set: local mode turns Teams "
                "authentication off; unset one of them"
            )
        return None
    if settings.teams_local_mode:
        return (
            f"TEAMS_LOCAL_MODE=true: Teams requests to {host} are NOT authenticated; anyone "
            "who reaches this port can chat as any customer tenant (replies go to loopback "
            "service URLs only). Set TEAMS_APP_ID and TEAMS_APP_PASSWORD for production"
        )
    if is_loopback_host(host):
        return None
    raise ConfigError(
        f"refusing to serve on {host} without Teams credentials: with no TEAMS_APP_ID, Teams "
        "requests are not authenticated. Set TEAMS_APP_ID and TEAMS_APP_PASSWORD (the Azure "
        "Bot registration), or listen on loopback (HOST=127.0.0.1, the default), or set "
        "TEAMS_LOCAL_MODE=true to run unauthenticated on this address on purpose"
    )
