"""The deployment recipes (deploy/) speak the project's language: every variable they set is
a setting `Settings` reads, and every command they run is a `billing-bot` command."""

from __future__ import annotations

import re

import yaml

from adapters.cli import cli
from bot.config import Settings
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
CHART = DEPLOY / "helm" / "billing-bot"
SETTINGS = {name.upper() for name in Settings.model_fields}


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_sets_only_settings_the_bot_reads():
    bots = {
        name: s
        for name, s in compose()["services"].items()
        if s.get("image") == "billing-bot:latest"
    }
    assert set(bots) == {"migrate", "web", "dispatcher"}
    for name, service in bots.items():
        unknown = set(service["environment"]) - SETTINGS
        assert not unknown, f"{name}: {unknown} are not settings"


def test_compose_runs_migrations_before_web_replicas_and_one_dispatcher():
    services = compose()["services"]
    assert services["migrate"]["command"] == ["migrate"]
    for name in ("web", "dispatcher"):
        assert services[name]["command"] == ["serve"]
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert services["web"]["environment"]["RUN_DISPATCHER"] == "false"
    assert services["dispatcher"]["environment"]["RUN_DISPATCHER"] == "true"
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    assert services["web"]["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")


def templates() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in (CHART / "templates").iterdir()}


def test_chart_env_names_are_settings():
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    assert set(values["env"]) <= SETTINGS, set(values["env"]) - SETTINGS
    named = {
        name
        for text in templates().values()
        for name in re.findall(r"- name: ([A-Z][A-Z0-9_]*)\s*$", text, re.MULTILINE)
    }
    assert named and named <= SETTINGS, named - SETTINGS


def test_chart_runs_real_commands_with_readiness_and_liveness_probes():
    texts = templates()
    args = {a for text in texts.values() for a in re.findall(r'args: \["(\w+)"\]', text)}
    assert args == {"serve", "migrate"} and args <= set(cli.list_commands(None))  # type: ignore[arg-type]
    probes = texts["_helpers.tpl"]
    assert re.search(r"readinessProbe:\s*\n\s*httpGet: \{path: /readyz", probes)
    assert re.search(r"livenessProbe:\s*\n\s*httpGet: \{path: /healthz", probes)
    assert "HorizontalPodAutoscaler" in texts["hpa.yaml"]
    assert '"helm.sh/hook": pre-install,pre-upgrade' in texts["migrations.yaml"]


def test_compose_requires_teams_credentials_with_a_message():
    # `${VAR:-}` would start `serve` unauthenticated (local mode) on a public address.
    env = compose()["x-bot"]["environment"]
    for name in ("TEAMS_APP_ID", "TEAMS_APP_PASSWORD"):
        assert re.fullmatch(rf"\$\{{{name}:\?set {name} .+\}}", env[name]), env[name]


def test_chart_refuses_to_render_without_teams_credentials():
    helpers = templates()["_helpers.tpl"]
    assert re.search(
        r'required "env\.TEAMS_APP_ID is required[^"]*" \.root\.Values\.env\.TEAMS_APP_ID', helpers
    )
    assert re.search(
        r'required "existingSecret is required[^"]*" \.root\.Values\.existingSecret', helpers
    )
    assert "{{- with .root.Values.existingSecret }}" not in helpers  # no Secret-less path


def test_nginx_proxies_only_what_teams_and_slack_post_to():
    conf = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    proxied = re.findall(r"location (=?\s*\S+) \{[^}]*proxy_pass", conf)
    assert proxied == ["= /api/messages", "= /slack/events"], proxied
    assert re.search(r"location / \{\s*return 404;\s*\}", conf)  # /metrics, /healthz/details
