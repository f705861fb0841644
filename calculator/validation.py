"""Marshmallow's nested error messages as flat (field path, sentence) pairs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from calculator.errors import shown_id

# Marshmallow's own wording, said so that a reader knows what to do.
_PLAIN = {
    "Unknown field.": "unknown key (a typo, or a field not taken here)",
    "Missing data for required field.": "missing: this field is required",
}


def flatten_messages(messages: Any, path: tuple[str | int, ...] = ()
                     ) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Each message with the path of its field, e.g. ``(("versions", 2, "date"), "...")``."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                yield from flatten_messages(value, path)
            elif key == "value" and isinstance(value, dict) and path:
                # Errors inside a Dict field's values sit under "value".
                yield from flatten_messages(value, path)
            elif key == "key" and path:
                for message in value:
                    yield path, f"bad key: {message}"
            else:
                # A key is the caller's: an unknown one of 20,000 characters came back
                # whole in the detail and in errors[] (decision 0156).
                yield from flatten_messages(value, (*path, shown_id(key)
                                                    if isinstance(key, str) else key))
    elif isinstance(messages, list):
        for message in messages:
            yield from flatten_messages(message, path)
    else:
        text = str(messages)
        yield path, _PLAIN.get(text, text)
