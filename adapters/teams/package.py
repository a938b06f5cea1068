"""The Teams app package: manifest.json with the bot's app id filled in, the two icons and the
manifest's localization files.

The template is `manifests/teams/manifest.json` (the app id is the placeholder
`{{TEAMS_APP_ID}}`); the icons and the files its `localizationInfo` names (`es.json`: the
app's name, descriptions and example questions in Spanish) sit beside it. The zip has the
files at its root, as Teams requires, and fixed timestamps, so the same inputs give the same
bytes.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from adapters.teams.icons import COLOR_FILE, COLOR_SIZE, OUTLINE_FILE, OUTLINE_SIZE, png_size
from bot.errors import ConfigError

APP_ID_PLACEHOLDER = "{{TEAMS_APP_ID}}"
MANIFEST_FILE = "manifest.json"
DEFAULT_OUTPUT = Path("billing-bot-teams.zip")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_KEY_PART = re.compile(r"([^.\[\]]+)(?:\[(\d+)\])?")


def default_manifest_dir() -> Path:
    """`manifests/teams` of the source tree this package was loaded from."""
    return Path(__file__).resolve().parents[2] / "manifests" / "teams"


def validate_app_id(app_id: str) -> str:
    """The app id, lower-cased, or `ConfigError` if it is not a GUID."""
    candidate = app_id.strip()
    if not _GUID.match(candidate):
        raise ConfigError(
            f"Teams app id {app_id!r} is not a GUID: expected the bot's Microsoft App ID, "
            "like 00000000-0000-0000-0000-000000000000 (Azure Bot resource > Configuration)"
        )
    return candidate.lower()


def render_manifest(template: Mapping[str, Any], app_id: str) -> dict[str, Any]:
    """The template with the app id in `id` and in every bot's `botId`."""
    app_id = validate_app_id(app_id)
    manifest = json.loads(json.dumps(template))  # a deep copy that stays plain JSON
    manifest["id"] = app_id
    bots = manifest.get("bots")
    if not isinstance(bots, list) or not bots:
        raise ConfigError(f"{MANIFEST_FILE}: `bots` must list the bot")
    for bot in bots:
        bot["botId"] = app_id
    return manifest


def load_template(manifest_dir: Path) -> dict[str, Any]:
    path = manifest_dir / MANIFEST_FILE
    try:
        template = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: Teams manifest template not found") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    if not isinstance(template, dict):
        raise ConfigError(f"{path}: expected a JSON object")
    return template


def load_icon(manifest_dir: Path, name: str, size: int) -> bytes:
    path = manifest_dir / name
    try:
        data = path.read_bytes()
        found = png_size(data)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: icon not found") from exc
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    if found != (size, size):
        raise ConfigError(f"{path}: icon is {found[0]}×{found[1]}, Teams needs {size}×{size}")
    return data


def load_localizations(manifest_dir: Path, manifest: Mapping[str, Any]) -> dict[str, bytes]:
    """The localization files the manifest names, by file name, each checked: a JSON object
    whose keys (besides `$schema`) name text fields of the manifest, such as `name.short` or
    `bots[0].commandLists[0].commands[0].title`."""
    info = manifest.get("localizationInfo") or {}
    files: dict[str, bytes] = {}
    for language in info.get("additionalLanguages") or []:
        path = manifest_dir / str(language.get("file", ""))
        try:
            data = path.read_bytes()
            strings = json.loads(data)
        except FileNotFoundError as exc:
            raise ConfigError(f"{path}: localization file not found") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path}: not valid JSON: {exc}") from exc
        if not isinstance(strings, dict):
            raise ConfigError(f"{path}: expected a JSON object")
        for key, value in strings.items():
            if key == "$schema":
                continue
            if not isinstance(value, str) or not isinstance(manifest_field(manifest, key), str):
                raise ConfigError(f"{path}: {key!r} is not a text field of {MANIFEST_FILE}")
        files[path.name] = data
    return files


def manifest_field(manifest: Mapping[str, Any], key: str) -> Any:
    """The manifest value a localization key names ("bots[0].commandLists[0].title"), or None."""
    value: Any = manifest
    for part in _KEY_PART.findall(key):
        name, index = part
        value = value.get(name) if isinstance(value, Mapping) else None
        if index:
            position = int(index)
            value = value[position] if isinstance(value, list) and position < len(value) else None
    return value


def build_package(app_id: str, output: Path, manifest_dir: Path | None = None) -> Path:
    """Write the app package zip to `output` and return its path."""
    folder = manifest_dir or default_manifest_dir()
    manifest = render_manifest(load_template(folder), app_id)
    icons = manifest.get("icons") or {}
    color = load_icon(folder, str(icons.get("color", COLOR_FILE)), COLOR_SIZE)
    outline = load_icon(folder, str(icons.get("outline", OUTLINE_FILE)), OUTLINE_SIZE)
    entries = {
        MANIFEST_FILE: (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode(),
        str(icons.get("color", COLOR_FILE)): color,
        str(icons.get("outline", OUTLINE_FILE)): outline,
        **load_localizations(folder, manifest),
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return output
