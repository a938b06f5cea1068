"""Read Adaptive Cards (plain JSON) the way a test wants to look at them."""

from __future__ import annotations

from typing import Any


def texts(card: dict[str, Any]) -> list[str]:
    """Every TextBlock's text in a card, in order, however deeply nested."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(node["text"])
            for key in ("body", "items", "rows", "cells", "columns"):
                walk(node.get(key))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card.get("body"))
    return found


def buttons(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {action["title"]: action for action in card.get("actions", [])}
