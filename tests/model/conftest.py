"""The real models, loaded once for the whole model run.

* `spanish_embedder`: EMBEDDING_MODEL_ES's default (multilingual USE), beside the session's
  `real_embedder` (all-MiniLM-L6-v2, tests/conftest.py);
* `sample_assistant(now)`: the sample folder's assistant as the CLI builds it (MiniLM for
  English and intents, the multilingual model for Spanish) on a fresh database, its clock
  pinned at `now` (None: the real clock).
"""

from collections.abc import Callable
from datetime import datetime

import pytest

from bot.app import Assistant, build_assistant
from bot.config import USE_MODEL, load_settings
from bot.retrieval.embedder import Embedder, make_embedder
from tests.conftest import SAMPLE_KNOWLEDGE


@pytest.fixture(scope="session")
def spanish_embedder() -> Embedder:
    return make_embedder(USE_MODEL)


@pytest.fixture(scope="session")
def sample_assistant(
    real_embedder: Embedder, spanish_embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[datetime | None], Assistant]:
    def build(now: datetime | None) -> Assistant:
        settings = load_settings(
            knowledge_dir=SAMPLE_KNOWLEDGE, data_dir=tmp_path_factory.mktemp("sample")
        )
        clock = None if now is None else (lambda: now)
        return build_assistant(
            settings, embedder=real_embedder, others={"es": spanish_embedder}, clock=clock
        )

    return build
