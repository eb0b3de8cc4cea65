"""Escaping for text from plans (addresses, unit names) placed into GitHub Markdown.

Terraform addresses carry user-chosen map keys, so they may contain anything: backticks,
`<details>`, pipes, `@mentions`. Every character that Markdown or HTML could read as markup
becomes a numeric character reference, which CommonMark renders as the literal character and
never as markup; addresses are also wrapped in `<code>` so that GitHub does not turn `@name`
or `#123` into mentions or links.
"""

from __future__ import annotations

# `:` and `@` stop autolinks and e-mail links, `$` stops math; `.` and `-` are left alone:
# they only mean something at the start of a line, where an escaped value never stands.
_SPECIAL = "&<>\"'`*_[]()|\\~#!@:$"
_ESCAPES = {ord(char): f"&#{ord(char)};" for char in _SPECIAL}
# Line breaks would end a table row or a summary line.
_ESCAPES.update({ord("\n"): " ", ord("\r"): " ", ord("\t"): " "})


def escape(text: str) -> str:
    """Return `text` as inline Markdown/HTML that renders literally."""
    return text.translate(_ESCAPES)


def code(text: str) -> str:
    """Return `text` as an inline `<code>` element that renders literally."""
    return f"<code>{escape(text)}</code>"
