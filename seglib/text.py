"""Text helpers shared by the stages' Markdown summaries."""

from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&])")


def md(value: object) -> str:
    """Escape text from the client's data for use inside Markdown.

    Every Markdown or HTML special character gets a backslash, so a brand called
    ``<b>Best*</b>`` reads literally in the notebook and the report instead of
    becoming markup.
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(value))
