"""The Teams app package: a manifest Teams accepts, the two icons, and the zip the CLI writes."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.cli import cli
from adapters.teams import icons

MANIFESTS = Path(__file__).resolve().parents[3] / "manifests" / "teams"
APP_ID = "0F6C2A3E-6D3B-4C8E-9A55-2B1E7C4D9F10"


def png_header(data: bytes) -> tuple[int, int, int]:
    """(width, height, colour type) read straight from the PNG signature and IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height, _depth, colour = struct.unpack(">IIBB", data[16:26])
    return width, height, colour


@pytest.fixture(scope="module")
def template() -> dict:
    return json.loads((MANIFESTS / "manifest.json").read_text(encoding="utf-8"))


def test_the_manifest_declares_schema_1_19_or_later(template: dict) -> None:
    version = tuple(int(p) for p in template["manifestVersion"].split("."))
    assert version >= (1, 19)
    assert template["$schema"].endswith(
        f"/v{template['manifestVersion']}/MicrosoftTeams.schema.json"
    )


def test_the_manifest_has_every_required_field(template: dict) -> None:
    for field in ("manifestVersion", "version", "id", "developer", "name", "description",
                  "icons", "accentColor"):  # fmt: skip
        assert template.get(field), field
    for field in ("name", "websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert template["developer"][field], field
    assert all(
        template["developer"][u].startswith("https://")
        for u in ("websiteUrl", "privacyUrl", "termsOfUseUrl")
    )
    assert 0 < len(template["name"]["short"]) <= 30
    assert len(template["name"]["full"]) <= 100
    assert 0 < len(template["description"]["short"]) <= 80
    assert len(template["description"]["full"]) <= 4000
    assert template["accentColor"].startswith("#") and len(template["accentColor"]) == 7


def test_the_bot_is_personal_with_example_questions(template: dict) -> None:
    (bot,) = template["bots"]
    assert bot["scopes"] == ["personal"]
    assert bot["botId"] == template["id"] == "{{TEAMS_APP_ID}}"  # filled in by the package command
    (commands,) = bot["commandLists"]
    assert commands["scopes"] == ["personal"]
    titles = [c["title"] for c in commands["commands"]]
    assert "When is my invoice due?" in titles
    assert "Talk to a person" in titles
    assert any("cancellation policy" in t for t in titles)
    assert len(titles) <= 10
    for command in commands["commands"]:
        assert 0 < len(command["title"]) <= 32, command  # the 1.19 schema's limits
        assert 0 < len(command["description"]) <= 128, command


@pytest.fixture(scope="module")
def spanish() -> dict:
    return json.loads((MANIFESTS / "es.json").read_text(encoding="utf-8"))


def shown_texts(template: dict) -> dict[str, str]:
    """Every text the manifest shows a customer, by its localization key."""
    texts = {f"{field}.{size}": template[field][size]
             for field in ("name", "description") for size in ("short", "full")}  # fmt: skip
    for b, bot in enumerate(template["bots"]):
        for c, commands in enumerate(bot["commandLists"]):
            for n, command in enumerate(commands["commands"]):
                for part in ("title", "description"):
                    texts[f"bots[{b}].commandLists[{c}].commands[{n}].{part}"] = command[part]
    return texts


def test_the_manifest_is_localized_in_spanish(template: dict, spanish: dict) -> None:
    info = template["localizationInfo"]
    assert info["defaultLanguageTag"] == "en"
    assert info["additionalLanguages"] == [{"languageTag": "es", "file": "es.json"}]
    assert spanish["$schema"].endswith(
        f"/v{template['manifestVersion']}/MicrosoftTeams.Localization.schema.json"
    )


def test_the_spanish_file_translates_every_text_within_the_same_limits(
    template: dict, spanish: dict
) -> None:
    english = shown_texts(template)
    translated = {key: value for key, value in spanish.items() if key != "$schema"}

    assert set(translated) == set(english)
    for key, text in translated.items():
        assert text and text != english[key], key
    assert len(translated["name.short"]) <= 30
    assert len(translated["name.full"]) <= 100
    assert len(translated["description.short"]) <= 80
    assert len(translated["description.full"]) <= 4000
    for key, text in translated.items():
        if key.endswith(".title"):
            assert len(text) <= 32, key
        elif key.startswith("bots"):
            assert len(text) <= 128, key


def test_a_localization_key_the_manifest_lacks_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "manifests"
    folder.mkdir()
    for name in ("manifest.json", "color.png", "outline.png"):
        (folder / name).write_bytes((MANIFESTS / name).read_bytes())
    (folder / "es.json").write_text(json.dumps({"bots[0].commandLists[0].commands[9].title": "¿?"}))

    command = ["teams", "package", "--app-id", APP_ID, "--manifest-dir", str(folder), "-o"]
    result = CliRunner().invoke(cli, [*command, str(tmp_path / "x.zip")])

    assert result.exit_code == 1
    assert (
        f"{folder / 'es.json'}: 'bots[0].commandLists[0].commands[9].title' is not a text field "
        "of manifest.json"
    ) in result.output
    assert not (tmp_path / "x.zip").exists()


def test_the_icons_have_the_sizes_teams_requires(template: dict) -> None:
    color = (MANIFESTS / template["icons"]["color"]).read_bytes()
    outline = (MANIFESTS / template["icons"]["outline"]).read_bytes()

    assert png_header(color)[:2] == (192, 192)
    assert png_header(outline) == (32, 32, 6)  # RGBA: the outline needs a transparent background


def test_the_committed_icons_are_what_the_generator_draws() -> None:
    assert (MANIFESTS / "color.png").read_bytes() == icons.color_icon()
    assert (MANIFESTS / "outline.png").read_bytes() == icons.outline_icon()


def test_the_package_command_writes_manifest_and_icons_at_the_zip_root(tmp_path: Path) -> None:
    output = tmp_path / "out" / "northwind.zip"

    result = CliRunner().invoke(cli, ["teams", "package", "--app-id", APP_ID, "-o", str(output)])

    assert result.exit_code == 0, result.output
    assert str(output) in result.output
    with zipfile.ZipFile(output) as archive:
        names = sorted(archive.namelist())
        assert names == ["color.png", "es.json", "manifest.json", "outline.png"]
        assert archive.read("es.json") == (MANIFESTS / "es.json").read_bytes()
        manifest = json.loads(archive.read("manifest.json"))
        assert png_header(archive.read("color.png"))[:2] == (192, 192)
        assert png_header(archive.read("outline.png"))[:2] == (32, 32)
    assert manifest["id"] == APP_ID.lower()
    assert manifest["bots"][0]["botId"] == APP_ID.lower()
    assert "{{" not in json.dumps(manifest)


def test_the_same_app_id_gives_the_same_bytes(tmp_path: Path) -> None:
    runner = CliRunner()
    for name in ("a.zip", "b.zip"):
        runner.invoke(cli, ["teams", "package", "--app-id", APP_ID, "-o", str(tmp_path / name)])

    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


@pytest.mark.parametrize(
    "bad",
    ["not-a-guid", "0f6c2a3e6d3b4c8e9a552b1e7c4d9f10", "28:0f6c2a3e-6d3b-4c8e-9a55-2b1e7c4d9f10"],
)
def test_an_app_id_that_is_not_a_guid_is_refused_clearly(tmp_path: Path, bad: str) -> None:
    output = tmp_path / "app.zip"

    result = CliRunner().invoke(cli, ["teams", "package", "--app-id", bad, "-o", str(output)])

    assert result.exit_code != 0
    assert f"Teams app id '{bad}' is not a GUID" in result.output
    assert not output.exists()


def test_without_an_app_id_the_command_says_what_to_give(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("TEAMS_APP_ID", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here

    result = CliRunner().invoke(cli, ["teams", "package"])

    assert result.exit_code == 2
    assert "--app-id" in result.output and "TEAMS_APP_ID" in result.output


def test_a_missing_icon_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "manifests"
    folder.mkdir()
    for name in ("manifest.json", "color.png", "es.json"):
        (folder / name).write_bytes((MANIFESTS / name).read_bytes())

    result = CliRunner().invoke(
        cli,
        [
            "teams",
            "package",
            "--app-id",
            APP_ID,
            "--manifest-dir",
            str(folder),
            "-o",
            str(tmp_path / "x.zip"),
        ],
    )

    assert result.exit_code == 1
    assert f"{folder / 'outline.png'}: icon not found" in result.output
