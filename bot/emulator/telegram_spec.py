"""Bot API calls checked against the official description in ``shared/specs``.

The emulator is stricter than Telegram on purpose: Telegram silently ignores unknown
parameters, so a misspelt one would go unnoticed in production. Telegram's text formatting
(HTML, MarkdownV2, Markdown) lives here too, because "what the user sees" is the parsed text,
and a formatting mistake is a real 400 the bot has to survive.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from bot.emulator.spec_files import locate, read_text

SPEC_FILE = "telegram-bot-api.json"


class ApiError(Exception):
    """An error answer of the Bot API. ``violation`` names the spec rule a call broke."""

    def __init__(
        self,
        code: int,
        description: str,
        *,
        violation: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.violation = violation
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


@dataclass
class Upload:
    """A file part of a multipart request."""

    data: bytes
    filename: str
    content_type: str


_PRIMITIVES = {
    "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "Boolean": lambda v: isinstance(v, bool),
    "True": lambda v: v is True,
    # Telegram reads a JSON number where it wants text, so numbers pass as String.
    "String": lambda v: isinstance(v, str | int | float) and not isinstance(v, bool),
    "InputFile": lambda v: isinstance(v, str | Upload),
}
# A field whose description pins a constant ("must be photo", 'always "creator"') tells
# the subtypes of a union apart, e.g. InputMediaPhoto from InputMediaVideo.
_DISCRIMINATORS = ("type", "status", "source")
_CONSTANT = re.compile(r'(?:must be|always) [“"]?([a-z_]+)[”"]?')


class BotApiSpec:
    """The methods and types of ``telegram-bot-api.json``, and checks against them."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version: str = data.get("version", "?")
        self.methods: dict[str, Any] = data["methods"]
        self.types: dict[str, Any] = data["types"]
        # Telegram matches method names case-insensitively.
        self._by_lower = {name.lower(): name for name in self.methods}

    @classmethod
    def load(cls, directory: Path | None = None) -> BotApiSpec:
        return cls(json.loads(read_text(locate(SPEC_FILE, directory))))

    def fields(self, method: str) -> dict[str, dict[str, Any]]:
        return {f["name"]: f for f in self.methods[method].get("fields", [])}

    def canonical(self, method: str) -> str:
        name = self._by_lower.get(method.lower())
        if name is None:
            raise ApiError(
                400,
                f"Bad Request: method '{method}' is not in Bot API {self.version}",
                violation="unknown_method",
            )
        return name

    def decode(self, method: str, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Form values arrive as text: PTB sends strings as they are and JSON-encodes the rest,
        so text is JSON-decoded only where the spec expects something other than a string."""
        fields = self.fields(method)
        decoded = {}
        for name, value in raw.items():
            types = fields.get(name, {}).get("types", ["String"])
            wants_json = any(t not in ("String", "InputFile") for t in types)
            decoded[name] = _json_or_text(value) if wants_json and isinstance(value, str) else value
        return decoded

    def check_call(self, method: str, params: Mapping[str, Any]) -> None:
        """Raise an ApiError with ``violation`` set if the call does not fit the spec."""
        fields = self.fields(method)
        for name, value in params.items():
            field = fields.get(name)
            if field is None:
                raise ApiError(
                    400,
                    f"Bad Request: unknown parameter '{name}' of {method}",
                    violation="unknown_parameter",
                )
            problem = self.type_problem(value, field["types"], name)
            if problem:
                raise ApiError(400, f"Bad Request: {problem}", violation="wrong_type")
        for name, field in fields.items():
            if field["required"] and name not in params:
                raise ApiError(
                    400,
                    f"Bad Request: parameter '{name}' of {method} is required",
                    violation="missing_parameter",
                )

    def result_problem(self, method: str, result: Any) -> str | None:
        """Why ``result`` is not what the spec says ``method`` returns (a self-check)."""
        return self.type_problem(result, self.methods[method]["returns"], "result")

    def type_problem(self, value: Any, types: list[str], path: str) -> str | None:
        """None if ``value`` fits one of ``types``; else the reason, the deepest one winning
        (for a union, the candidate that matched furthest says most about the mistake)."""
        problems = []
        for type_name in types:
            problem = self._one_type_problem(value, type_name, path)
            if problem is None:
                return None
            problems.append(problem)
        return max(problems, key=lambda p: p.count(".") + p.count("["), default=None)

    def _one_type_problem(self, value: Any, type_name: str, path: str) -> str | None:
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                return f'Field "{path}" must be an Array'
            item_type = type_name.removeprefix("Array of ")
            for index, item in enumerate(value):
                problem = self.type_problem(item, [item_type], f"{path}[{index}]")
                if problem:
                    return problem
            return None
        if type_name in _PRIMITIVES:
            ok = _PRIMITIVES[type_name](value)
            return None if ok else f'Field "{path}" must be of type {type_name}'
        spec = self.types.get(type_name)
        if spec is None:
            return None  # a type the spec does not describe: nothing to check against
        if "subtypes" in spec:
            return self.type_problem(value, self._candidates(spec["subtypes"], value), path)
        return self._object_problem(value, spec, path)

    def _object_problem(self, value: Any, spec: Mapping[str, Any], path: str) -> str | None:
        if not isinstance(value, dict):
            return f'Field "{path}" must be a JSON object ({spec["name"]})'
        fields = {f["name"]: f for f in spec.get("fields", [])}
        for name, item in value.items():
            field = fields.get(name)
            if field is None:
                return f'Field "{path}.{name}" is not a field of {spec["name"]}'
            problem = self.type_problem(item, field["types"], f"{path}.{name}")
            if problem:
                return problem
            constant = _constant(field)
            if constant and item != constant:
                return f'Field "{path}.{name}" must be "{constant}"'
        for name, field in fields.items():
            if field["required"] and name not in value:
                return f'Field "{path}.{name}" is required in {spec["name"]}'
        return None

    def _candidates(self, subtypes: list[str], value: Any) -> list[str]:
        """The subtypes whose discriminator constant matches ``value``, else all of them."""
        if not isinstance(value, dict):
            return subtypes
        matching = []
        for name in subtypes:
            for field in self.types.get(name, {}).get("fields", []):
                constant = _constant(field)
                if constant and value.get(field["name"]) == constant:
                    matching.append(name)
        return matching or subtypes


def _constant(field: Mapping[str, Any]) -> str | None:
    if field["name"] not in _DISCRIMINATORS:
        return None
    match = _CONSTANT.search(field.get("description", ""))
    return match.group(1) if match else None


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


# --- text formatting -----------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Telegram measures offsets, lengths and limits in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def parse_entities(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """The plain text and MessageEntity list Telegram makes of ``text`` in ``parse_mode``."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _HtmlEntities(text).result()
    if mode in ("markdownv2", "markdown"):
        return _parse_markdown(text, v2=mode == "markdownv2")
    if mode:
        raise bad_request(f"unsupported parse_mode {parse_mode!r}")
    return text, []


def _cant_parse(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "tg-spoiler": "spoiler", "code": "code", "pre": "pre",
    "a": "text_link", "blockquote": "blockquote", "tg-emoji": "custom_emoji", "span": "spoiler",
}


class _HtmlEntities(HTMLParser):
    """Telegram's HTML subset; any other tag (even <br>) is a 400, as on Telegram."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.text: list[str] = []
        self.length = 0
        self.open: list[tuple[str, dict[str, Any]]] = []
        self.entities: list[dict[str, Any]] = []

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        self.feed(self.source)
        self.close()
        if self.open:
            tag = self.open[-1][0]
            raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{tag}"')
        self.entities.sort(key=lambda e: e["offset"])
        return "".join(self.text), self.entities

    def _byte_offset(self) -> int:
        line, column = self.getpos()
        lines = self.source.split("\n")
        return len("\n".join(lines[: line - 1] + [lines[line - 1][:column]]).encode())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        kind = _HTML_TAGS.get(tag)
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            kind = None
        if kind is None:
            raise _cant_parse(
                f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}'
            )
        entity: dict[str, Any] = {"type": kind, "offset": self.length}
        if tag == "a":
            entity["url"] = attributes.get("href") or ""
        if tag == "blockquote" and "expandable" in attributes:
            entity["type"] = "expandable_blockquote"
        if tag == "tg-emoji":
            entity["custom_emoji_id"] = attributes.get("emoji-id") or ""
        if tag == "code" and self.open and self.open[-1][0] == "pre":
            language = (attributes.get("class") or "").removeprefix("language-")
            if language:
                self.open[-1][1]["language"] = language
            entity["type"] = "code_in_pre"  # dropped at close: the pre carries it
        self.open.append((tag, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            raise _cant_parse(f"Unexpected end tag at byte offset {self._byte_offset()}")
        _, entity = self.open.pop()
        entity["length"] = self.length - entity["offset"]
        # Telegram drops empty entities.
        if entity["length"] and entity["type"] != "code_in_pre":
            self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        self.length += utf16_len(data)


_MD_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MD_MARKERS_V2 = {"||": "spoiler", "__": "underline", "*": "bold", "_": "italic",
                  "~": "strikethrough"}
_MD_MARKERS_V1 = {"*": "bold", "_": "italic"}


def _parse_markdown(text: str, *, v2: bool) -> tuple[str, list[dict[str, Any]]]:
    """A compact MarkdownV2 / legacy Markdown reader: markers, code, links and escapes.
    Its errors name the problem the way Telegram does; nesting rules are looser."""
    markers = _MD_MARKERS_V2 if v2 else _MD_MARKERS_V1
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    open_: list[tuple[str, dict[str, Any]]] = []
    i = 0

    def length() -> int:
        return utf16_len("".join(out))

    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and (v2 or text[i + 1] in "_*`["):
            out.append(text[i + 1])
            i += 2
            continue
        if char == "`":
            fence = "```" if text.startswith("```", i) else "`"
            end = text.find(fence, i + len(fence))
            if end < 0:
                raise _cant_parse(f"Can't find end of the entity starting at byte offset {i}")
            body = text[i + len(fence) : end]
            entity: dict[str, Any] = {"type": "pre" if len(fence) == 3 else "code"}
            if len(fence) == 3 and "\n" in body and body.split("\n", 1)[0].strip():
                entity["language"], body = body.split("\n", 1)
            entity.update(offset=length(), length=utf16_len(body))
            out.append(body)
            entities.append(entity)
            i = end + len(fence)
            continue
        if char == "[":
            close = text.find("](", i)
            end = text.find(")", close) if close >= 0 else -1
            if end < 0:
                raise _cant_parse(f"Can't find end of the entity starting at byte offset {i}")
            label, _ = _parse_markdown(text[i + 1 : close], v2=v2)
            entities.append({"type": "text_link", "offset": length(),
                             "length": utf16_len(label), "url": text[close + 2 : end]})
            out.append(label)
            i = end + 1
            continue
        marker = next((m for m in markers if text.startswith(m, i)), None)
        if marker:
            if open_ and open_[-1][0] == marker:
                _, entity = open_.pop()
                entity["length"] = length() - entity["offset"]
                if entity["length"]:
                    entities.append(entity)
            else:
                open_.append((marker, {"type": markers[marker], "offset": length()}))
            i += len(marker)
            continue
        if v2 and char in _MD_V2_RESERVED and not (char == ">" and (i == 0 or text[i - 1] == "\n")):
            raise _cant_parse(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        out.append(char)
        i += 1
    if open_:
        kind = open_[-1][1]["type"].capitalize()
        raise _cant_parse(f"Can't find end of {kind} entity at byte offset {len(text)}")
    entities.sort(key=lambda e: e["offset"])
    return "".join(out), entities
