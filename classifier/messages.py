"""Every sentence the engine says to a user, in English and Simplified Chinese, each under a stable key.

The engine makes a message with `say(key, **params)`: a `Message`, which *is* its English text (a `str`, so code and
files that read it as text work as before) and also carries its key and parameters. `render(message, lang)` writes
it in a language. Where a message travels:

- events.jsonl: `EventWriter.log` / `status` store `message` (English, for old readers) beside `key` and `params`;
  a log is translated when it is shown (`event_text`), not when it is written, and an old event without a key is
  shown as it is;
- exceptions: `DataError(say(...))` keeps the Message as its argument (it survives pickling between processes);
  `error_text(exc, lang)` writes it in a language;
- the CLI: English unless `CLASSIFIER_LANG=zh-CN` or the locale (LC_ALL, LC_MESSAGES, LANG) says Chinese
  (`cli_lang`).

A parameter may itself be a Message (a clause that changes with the case); it is rendered in the same language.
The words of the web app's own labels and buttons are in `classifier/webui/i18n.py`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from .message_catalogue import CATALOGUE

LANGS = ("en", "zh-CN")


def lang_of(value: str | None) -> str:
    """'zh', 'zh-CN', 'zh_CN.UTF-8', 'zh-Hans' -> 'zh-CN'; anything else -> 'en'."""
    return "zh-CN" if str(value or "").lower().startswith("zh") else "en"


def cli_lang(environ: Mapping[str, str] | None = None) -> str:
    """The CLI's language: CLASSIFIER_LANG when set, else the locale's (the first of LC_ALL, LC_MESSAGES, LANG)."""
    environ = os.environ if environ is None else environ
    for name in ("CLASSIFIER_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(name):
            return lang_of(environ[name])
    return "en"


class Message(str):
    """An engine message: its English text, with `key` and `params` to write it in another language."""

    key: str
    params: dict[str, Any]

    def __new__(cls, key: str, params: dict[str, Any] | None = None, english: str | None = None) -> Message:
        params = dict(params or {})
        obj = super().__new__(cls, _format(key, params, "en") if english is None else english)
        obj.key, obj.params = key, params
        return obj

    def __reduce__(self):  # pickled with its key (the worker processes send messages and errors back)
        return (Message, (self.key, self.params, str(self)))

    def to_dict(self) -> dict[str, Any]:
        """`key` and `params` for JSON (nested messages as {"key", "params"} too)."""
        return {"key": self.key, "params": {k: _jsonable(v) for k, v in self.params.items()}}

    def text(self, lang: str | None) -> str:
        return render(self, lang)


def say(key: str, **params: Any) -> Message:
    if key not in CATALOGUE:
        raise KeyError(f"no message {key!r} in classifier/message_catalogue.py")
    return Message(key, params)


def render(value: Any, lang: str | None) -> str:
    """A Message, a {"key", "params"} dict (from JSON) or any other value (shown as it is) in `lang`."""
    if isinstance(value, Message):
        if lang_of(lang) == "en":
            return str(value)
        try:
            return _format(value.key, value.params, lang)
        except (KeyError, IndexError, ValueError, TypeError, AttributeError):  # read from a damaged events file
            return str(value)
    if _is_message_dict(value):
        try:
            return _format(value["key"], value.get("params") or {}, lang)
        except (KeyError, IndexError, ValueError, TypeError, AttributeError):
            return str(value.get("message", value["key"]))
    return "" if value is None else str(value)


def from_event(event: Mapping[str, Any] | None) -> str:
    """An event's message as a Message (its English text as written), or its plain text for an event without a key."""
    event = event or {}
    message = str(event.get("message", ""))
    if event.get("key") in CATALOGUE and isinstance(event.get("params") or {}, dict):  # a damaged file: as written
        return Message(event["key"], event.get("params") or {}, english=message)
    return message


def event_text(event: Mapping[str, Any], lang: str | None) -> str:
    """An event's message in `lang`: from its key and params, else (English, an older event, an unknown key) as
    written."""
    key = event.get("key")
    if key in CATALOGUE and lang_of(lang) != "en":
        try:
            return _format(key, event.get("params") or {}, lang)
        except (KeyError, IndexError, ValueError, TypeError, AttributeError):  # a damaged events file
            pass
    return str(event.get("message", ""))


def message_of(exc: BaseException) -> str:
    """The Message an engine error was raised with (its key kept), else the error's text."""
    if len(exc.args) == 1 and isinstance(exc.args[0], Message):
        return exc.args[0]
    return str(exc)


def error_text(exc: BaseException, lang: str | None) -> str:
    return render(message_of(exc), lang)


def message_fields(message: Any) -> dict[str, Any]:
    """`key` and `params` of a Message, for an event beside its `message`; nothing for plain text."""
    return message.to_dict() if isinstance(message, Message) else {}


def _format(key: str, params: Mapping[str, Any], lang: str | None) -> str:
    template = CATALOGUE[key][1 if lang_of(lang) == "zh-CN" else 0]
    if not isinstance(params, Mapping):
        raise TypeError(f"the parameters of message {key!r} are not an object")
    if any(isinstance(v, dict) and "key" in v and not _is_message_dict(v) for v in params.values()):
        raise TypeError(f"a nested message of {key!r} is damaged")
    values = {k: render(v, lang) if isinstance(v, Message) or _is_message_dict(v) else v for k, v in params.items()}
    return template.format(**values)


def _is_message_dict(value: Any) -> bool:
    return (isinstance(value, dict) and value.get("key") in CATALOGUE and set(value) <= {"key", "params", "message"}
            and isinstance(value.get("params") or {}, dict))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Message):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy / torch scalars
        try:
            return value.item()
        except (TypeError, ValueError):
            return str(value)
    return value
