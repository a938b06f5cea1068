"""Who may read the operator's endpoints (`/metrics`, `/healthz/details`).

They tell a stranger too much: withheld invoice numbers, the knowledge folder's errors,
outbox counts. With METRICS_TOKEN set they need `Authorization: Bearer <token>` (compared
in constant time), from anywhere: what Prometheus sends with `authorization` /
`bearer_token` in its scrape config. Without a token they are served to loopback peers
only, and never to a request a proxy forwarded (`Forwarded` / `X-Forwarded-For`): a proxy
on this machine would otherwise pass any visitor's request on from 127.0.0.1.
"""

from __future__ import annotations

import hmac
import ipaddress

from aiohttp import web

from adapters.http_limits import refuse

FORWARDED = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


def refusal(request: web.Request, token: str) -> web.Response | None:
    """None when `request` may read an operator endpoint; else the 401/403 refusing it."""
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            return None
        answer = refuse(request, 401, "unauthorized", detail="operator endpoint: bad bearer token")
        answer.headers["WWW-Authenticate"] = 'Bearer realm="billing-bot"'
        return answer
    if _is_loopback(request.remote) and not any(h in request.headers for h in FORWARDED):
        return None
    return refuse(
        request,
        403,
        "forbidden: set METRICS_TOKEN to read this from another machine",
        detail=f"peer {request.remote}",
    )


def _is_loopback(peer: str | None) -> bool:
    try:
        return peer is not None and ipaddress.ip_address(peer.split("%", 1)[0]).is_loopback
    except ValueError:
        return False
