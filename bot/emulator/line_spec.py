"""LINE Messaging API calls checked against the official OpenAPI description in ``shared/specs``.

A small validator over the schema dict rather than ``jsonschema``: OpenAPI 3.0 is not JSON Schema
(``discriminator``, ``nullable``), and LINE-style error details (``property`` + ``message``)
come out of a hand-written walk naturally.

What it checks: operations (method + path), ``$ref``, ``allOf`` composition, discriminators
(message ``type``, action ``type``, template ``type``...), required and unknown properties, types,
enums, string lengths (UTF-16 code units, as ``bot.domain.captions`` counts LINE text), patterns,
number bounds and array sizes. Not checked: ``format`` (uri, uuid...), ``oneOf``/``anyOf`` (the
LINE files use neither as a keyword).

The published file leaves out several limits the LINE reference documents in prose (text 5,000
characters, altText 1,500, action labels 20...). ``MESSAGING_LIMITS`` adds them: a bot that
breaks one gets a real 400 from LINE, so the emulator should give one too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.emulator.spec_files import locate, read_text

MESSAGING_SPEC = "line-messaging-api.yml"
WEBHOOK_SPEC = "line-webhook.yml"
HTTP_METHODS = ("get", "put", "post", "delete", "patch")

Schema = Mapping[str, Any]


@dataclass(frozen=True)
class Problem:
    """One entry of LINE's ``details``: where (``messages[0].text``) and what is wrong."""

    property: str
    message: str

    def detail(self) -> dict[str, str]:
        if not self.property:
            return {"message": self.message}
        return {"message": self.message, "property": self.property}

    def __str__(self) -> str:
        return f"{self.property}: {self.message}" if self.property else self.message


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case
    template: str  # /v2/bot/message/{messageId}/content
    pattern: re.Pattern[str]
    parameters: Mapping[tuple[str, str], Mapping[str, Any]]  # (in, name) -> parameter object
    body_schema: Schema | None  # JSON request body
    body_type: str | None  # the request body's media type, JSON or not
    responses: Mapping[str, Any]
    data_host: bool  # served by api-data.line.me

    def query_parameters(self) -> dict[str, Mapping[str, Any]]:
        return {name: p for (where, name), p in self.parameters.items() if where == "query"}

    def header_names(self) -> set[str]:
        return {name for where, name in self.parameters if where == "header"}

    def response_schema(self, status: int) -> Schema | None:
        """The JSON schema of the answer with ``status``, if the spec gives one."""
        content = self.responses.get(str(status), {}).get("content", {})
        return content.get("application/json", {}).get("schema")


class UnknownOperation(LookupError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status  # 404 unknown path, 405 known path with another method


class OpenApiSpec:
    """The operations and schemas of one OpenAPI 3 file, and checks against them."""

    def __init__(self, document: Mapping[str, Any], limits: Mapping[str, Schema] | None = None):
        self.document = document
        self.title: str = document.get("info", {}).get("title", "?")
        self.schemas: Mapping[str, Schema] = document.get("components", {}).get("schemas", {})
        self.limits = limits or {}
        self.operations = list(_operations(document))

    @classmethod
    def load(cls, name: str, directory: Path | None = None,
             limits: Mapping[str, Schema] | None = None) -> OpenApiSpec:
        return cls(_read_yaml(locate(name, directory)), limits)

    def schema(self, name: str) -> Schema:
        return {"$ref": f"#/components/schemas/{name}"}

    def find(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        """The operation serving ``method path`` and its path parameters."""
        path_known = False
        for operation in self.operations:
            match = operation.pattern.fullmatch(path)
            if match is None:
                continue
            if operation.method == method.upper():
                return operation, match.groupdict()
            path_known = True
        if path_known:
            raise UnknownOperation(f"{method} is not allowed on {path}", 405)
        raise UnknownOperation(f"{method} {path} is not an operation of {self.title}", 404)

    # --- values against schemas ------------------------------------------------------------

    def problems(self, value: Any, schema: Schema, where: str = "") -> list[Problem]:
        """Everything wrong with ``value`` as an instance of ``schema``; [] if it fits."""
        found: list[Problem] = []
        self._check(value, schema, where, found, part=False)
        return found

    def _check(self, value: Any, schema: Schema, where: str, found: list[Problem], *,
               part: bool) -> None:
        """``part``: ``schema`` is one piece of an allOf, so its discriminator must not dispatch
        again (the subtype's allOf names its base) and unknown properties are judged by the
        whole composition, not by the piece."""
        schema, name = self._deref(schema)
        if value is None and schema.get("nullable"):
            return
        if not part and "discriminator" in schema:
            subtype = self._subtype(value, schema, where, found)
            if subtype is not None and self._deref(subtype)[0] is not schema:
                self._check(value, subtype, where, found, part=False)
            return
        for piece in schema.get("allOf", []):
            self._check(value, piece, where, found, part=True)
        if not _type_fits(value, schema, where, found):
            return
        _check_bounds(value, schema, where, found)
        if isinstance(value, list) and "items" in schema:
            for index, item in enumerate(value):
                self._check(item, schema["items"], f"{where}[{index}]", found, part=False)
        if isinstance(value, dict):
            self._check_object(value, schema, where, found)
            if not part:
                self._check_unknown(value, schema, where, found)
                self._check_limits(value, name, where, found)

    def _check_object(self, value: dict[str, Any], schema: Schema, where: str,
                      found: list[Problem]) -> None:
        for key in schema.get("required", []):
            if value.get(key) is None:
                found.append(Problem(_join(where, key), "must be specified"))
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                if item is not None:
                    self._check(item, properties[key], _join(where, key), found, part=False)
            elif isinstance(extra, Mapping):
                self._check(item, extra, _join(where, key), found, part=False)

    def _check_unknown(self, value: dict[str, Any], schema: Schema, where: str,
                       found: list[Problem]) -> None:
        known, open_ = self._known_properties(schema)
        if open_:
            return
        for key in value:
            if key not in known:
                found.append(Problem(_join(where, key), "unknown property (not in the spec)"))

    def _known_properties(self, schema: Schema) -> tuple[set[str], bool]:
        """The property names of a whole allOf composition, and whether it takes any others
        (additionalProperties, or a free-form object with no properties listed)."""
        schema, _ = self._deref(schema)
        known = set(schema.get("properties", {}))
        open_ = bool(schema.get("additionalProperties"))
        described = "properties" in schema
        for piece in schema.get("allOf", []):
            names, piece_open = self._known_properties(piece)
            known |= names
            open_ = open_ or piece_open
            described = described or bool(names)
        return known, open_ or not described

    def _check_limits(self, value: dict[str, Any], name: str | None, where: str,
                      found: list[Problem]) -> None:
        if name in self.limits:
            _check_overlay(value, self.limits[name], where, found)
        for key, limit in _CONDITIONAL_TEXT.get(name or "", {}).items():
            if any(value.get(k) for k in ("thumbnailImageUrl", "title")) and key in value:
                _check_bounds(value[key], {"maxLength": limit}, _join(where, key), found)

    def _subtype(self, value: Any, schema: Schema, where: str,
                 found: list[Problem]) -> Schema | None:
        """The mapped schema for the discriminator value, or None with the problem noted."""
        discriminator = schema["discriminator"]
        key = discriminator["propertyName"]
        mapping = discriminator.get("mapping", {})
        if not isinstance(value, dict):
            found.append(Problem(where, "must be an object"))
            return None
        kind = value.get(key)
        if kind is None:
            found.append(Problem(_join(where, key), "must be specified"))
            return None
        if kind not in mapping:
            found.append(Problem(_join(where, key),
                                 f"invalid {key} {kind!r}; one of: {', '.join(sorted(mapping))}"))
            return None
        return {"$ref": mapping[kind]}

    def _deref(self, schema: Schema) -> tuple[Schema, str | None]:
        """Follow ``$ref`` chains; also return the component name (for MESSAGING_LIMITS)."""
        name = None
        while "$ref" in schema:
            ref = schema["$ref"]
            if not ref.startswith("#/components/schemas/"):
                raise ValueError(f"unsupported $ref {ref}")
            name = ref.rsplit("/", 1)[1]
            schema = self.schemas[name]
        return schema, name


# --- documented limits the OpenAPI file does not carry --------------------------------------

_HTTPS_URL = {"maxLength": 2000, "pattern": "^https://"}
_LABEL = {"properties": {"label": {"maxLength": 20}}}


def _actions(low: int, high: int) -> dict[str, Any]:
    return {"minItems": low, "maxItems": high, "items": _LABEL}


MESSAGING_LIMITS: dict[str, Schema] = {
    "TextMessage": {"properties": {"text": {"minLength": 1, "maxLength": 5000}}},
    "TextMessageV2": {"properties": {"text": {"minLength": 1, "maxLength": 5000}}},
    "TemplateMessage": {"properties": {"altText": {"minLength": 1, "maxLength": 1500}}},
    "FlexMessage": {"properties": {"altText": {"minLength": 1, "maxLength": 1500}}},
    "ImageMessage": {"properties": {"originalContentUrl": _HTTPS_URL,
                                    "previewImageUrl": _HTTPS_URL}},
    "VideoMessage": {"properties": {"originalContentUrl": _HTTPS_URL,
                                    "previewImageUrl": _HTTPS_URL}},
    "ButtonsTemplate": {"properties": {"title": {"maxLength": 40}, "text": {"maxLength": 160},
                                       "actions": _actions(1, 4)}},
    "ConfirmTemplate": {"properties": {"text": {"maxLength": 240}, "actions": _actions(2, 2)}},
    "CarouselTemplate": {"properties": {"columns": {"minItems": 1, "maxItems": 10}}},
    "CarouselColumn": {"properties": {"title": {"maxLength": 40}, "text": {"maxLength": 120},
                                      "actions": _actions(1, 3)}},
    "QuickReply": {"required": ["items"], "properties": {"items": {"minItems": 1}}},
    "QuickReplyItem": {"required": ["type", "action"],
                       "properties": {"type": {"enum": ["action"]}, "action": _LABEL}},
    "PostbackAction": {"required": ["data"],
                       "properties": {"displayText": {"maxLength": 300}, "text": {"maxLength": 300},
                                      "fillInText": {"maxLength": 300}}},
    "DatetimePickerAction": {"required": ["data", "mode"]},
    "MessageAction": {"required": ["text"], "properties": {"text": {"minLength": 1, "maxLength": 300}}},
    "URIAction": {"required": ["uri"], "properties": {"uri": {"maxLength": 1000}}},
}
# A buttons template or carousel column with an image or a title leaves room for less text.
_CONDITIONAL_TEXT: dict[str, dict[str, int]] = {"ButtonsTemplate": {"text": 60},
                                                "CarouselColumn": {"text": 60}}


# --- helpers -------------------------------------------------------------------------------

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
    "array": (list,), "object": (dict,),
}
_ARTICLE = {"integer": "an", "array": "an", "object": "an"}


def _type_fits(value: Any, schema: Schema, where: str, found: list[Problem]) -> bool:
    expected = schema.get("type") or ("object" if "properties" in schema else None)
    if expected is None or expected not in _JSON_TYPES:
        return True
    fits = isinstance(value, _JSON_TYPES[expected])
    if isinstance(value, bool) and expected in ("integer", "number"):
        fits = False  # JSON true is not 1
    if not fits:
        found.append(Problem(where, f"must be {_ARTICLE.get(expected, 'a')} {expected}"))
    return fits


def _check_overlay(value: Any, limits: Schema, where: str, found: list[Problem]) -> None:
    """Extra constraints on top of the spec: no types, no $ref, no unknown-property rule
    (the spec check has done those); a wrong-typed value is simply skipped."""
    _check_bounds(value, limits, where, found)
    if isinstance(value, list) and "items" in limits:
        for index, item in enumerate(value):
            _check_overlay(item, limits["items"], f"{where}[{index}]", found)
    if isinstance(value, dict):
        for key in limits.get("required", []):
            if value.get(key) is None:
                found.append(Problem(_join(where, key), "must be specified"))
        for key, inner in limits.get("properties", {}).items():
            if value.get(key) is not None:
                _check_overlay(value[key], inner, _join(where, key), found)


def _check_bounds(value: Any, schema: Schema, where: str, found: list[Problem]) -> None:
    """enum, lengths, pattern, number bounds and array sizes, worded as LINE words them."""
    if "enum" in schema and value not in schema["enum"]:
        found.append(Problem(where, f"must be one of: {', '.join(map(str, schema['enum']))}"))
    if isinstance(value, str):
        _range(utf16_len(value), schema, "minLength", "maxLength", "Length", where, found)
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(Problem(where, f"must match {schema['pattern']}"))
    elif isinstance(value, list):
        _range(len(value), schema, "minItems", "maxItems", "Size", where, found)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _range(value, schema, "minimum", "maximum", "Value", where, found)


def _range(size: float, schema: Schema, low_key: str, high_key: str, what: str, where: str,
           found: list[Problem]) -> None:
    low, high = schema.get(low_key), schema.get(high_key)
    if (low is not None and size < low) or (high is not None and size > high):
        if high is None:
            found.append(Problem(where, f"{what} must be at least {low}"))
        else:
            found.append(Problem(where, f"{what} must be between {low or 0} and {high}"))


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


@functools.cache
def _read_yaml(path: Path) -> Mapping[str, Any]:
    """Parsed once per process: the messaging file is ~6,000 lines and never changes."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(read_text(path), Loader=loader)


def _operations(document: Mapping[str, Any]) -> Iterator[Operation]:
    """Every operation, the ones with fewer path parameters first, so that a literal segment
    (``/richmenu/list``) wins over a template (``/richmenu/{richMenuId}``)."""
    default_data_host = "api-data" in str(document.get("servers", ""))
    found = []
    for template, item in document.get("paths", {}).items():
        shared = {(p["in"], _param_name(p)): p for p in item.get("parameters", [])}
        for method in HTTP_METHODS:
            if method not in item:
                continue
            spec = item[method]
            own = {(p["in"], _param_name(p)): p for p in spec.get("parameters", [])}
            body = spec.get("requestBody", {}).get("content", {})
            body_type = next(iter(body), None)
            servers = spec.get("servers")
            found.append(Operation(
                operation_id=spec.get("operationId", f"{method} {template}"),
                method=method.upper(),
                template=template,
                pattern=_path_pattern(template),
                parameters={**shared, **own},
                body_schema=body.get("application/json", {}).get("schema"),
                body_type=body_type,
                responses=spec.get("responses", {}),
                data_host="api-data" in str(servers) if servers else default_data_host,
            ))
    return iter(sorted(found, key=lambda op: op.template.count("{")))


def _param_name(parameter: Mapping[str, Any]) -> str:
    # HTTP header names are case-insensitive: keep them in one case.
    name = parameter["name"]
    return name.lower() if parameter["in"] == "header" else name


def _path_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
    return re.compile(regex)
