"""serde_json's error messages, recomputed by walking a schemars JSON Schema with the raw input.

The reference server answers bad params with `Invalid request: <serde_json error>`. Our params
are validated by other means, so when they are rejected this module works out the message that
serde would have produced: it walks the value the way serde's derived `Deserialize` impls
consume it (map entries in input order, unknown keys ignored, then missing fields) and uses the
schema only to learn each Rust type's shape. Behaviour was pinned against the 0.94 binary, where
params are buffered into serde's `Content` on their way through the `#[serde(tag = "method")]`
request enum; hence, e.g., "expected string or map" for a bad unit enum value.

What the schema does not say outright, and this module assumes:
- `properties` are in Rust declaration order: it decides which missing field is reported first
  and how a struct reads from a sequence. schemars sorts them, so the caller's schema must be
  reordered (ts-rs output keeps the order) for those two cases to be exact.
- an internally tagged variant whose tag is `other` and that has no fields is `#[serde(other)]`.
- a `oneOf` whose variants all hold one same extra key with an inline struct is adjacently
  tagged (`tag` + `content`); otherwise a const string key shared by all variants is the tag.
- a custom `Deserialize` (PathBuf's "path string", Uuid, ...) looks like its plain schema type.

Stdlib only, and nothing in here knows about Codex.
"""

from __future__ import annotations

import bisect
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

__all__ = ["describe_value", "first_error", "unknown_variant"]

_Schema = Any  # a JSON Schema node: a mapping or a boolean
_Variant = tuple[str, Any, Any]  # wire name, content schema (None: unit variant), title

_SIMPLE_ESCAPES = {"\0": "\\0", "\t": "\\t", "\r": "\\r", "\n": "\\n", '"': '\\"', "\\": "\\\\"}
_NOT_PRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs", "Mn", "Me"})
# Rust's Debug escapes Grapheme_Extend chars: Mn, Me and these (Other_Grapheme_Extend plus the
# spacing marks it gained after Unicode 14, which is what Python 3.11's unicodedata knows).
_GRAPHEME_EXTEND = """
    9be 9d7 b3e b57 bbe bd7 cc0 cc2 cc7-cc8 cca-ccb cd5-cd6 d3e d57 dcf ddf 1715 1734 1b35 1b3b
    1b3d 1b43-1b44 1baa 1bf2-1bf3 200c 302e-302f a953 a9c0 ff9e-ff9f 111c0 11235 1133e 1134d
    11357 113b8 113c2 113c5 113c7-113c9 113cf 114b0 114bd 115af 116b6 11930 1193d 16ff0-16ff1
    1d165-1d166 1d16d-1d172 e0020-e007f
"""
# Printed raw by the reference (its Rust knows Unicode 17) though unassigned, or a combining
# mark, in Unicode 14. Measured by sending every code point through the reference binary.
_PRINTED_RAW = """
    88f c5c cdc cf3 1b4e-1b4f 1b7f 1c89-1c8a 20c1 2427-2429 2b96 2ffc-2fff 31e4-31e5 31ef
    a7cb-a7cf a7d2 a7d4 a7da-a7dc a7f1 fbc3-fbd2 fd90-fd91 fdc8-fdce 105c0-105f3 10940-10959
    10d40-10d65 10d6e-10d85 10d8e-10d8f 10ec2-10ec7 10ed0-10ed8 1123f-11240 11380-11389 1138b
    1138e 11390-113b5 113b7 113b9-113ba 113ca 113cc-113cd 113d1 113d3-113d5 113d7-113d8
    116d0-116e3 1171e 11b00-11b09 11b61 11b65 11b67 11bc0-11be1 11bf0-11bf9 11db0-11ddb
    11de0-11de9 11f02-11f10 11f12-11f35 11f3e-11f3f 11f43-11f59 1342f 13441-13446 13460-143fa
    16100-1611d 1612a-1612c 16130-16139 16d40-16d79 16ea0-16eb8 16ebb-16ed3 16ff2-16ff6
    187f8-187ff 18cff 18d09-18d1e 18d80-18df2 1b132 1b155 1cc00-1ccfc 1cd00-1ceb3 1ceba-1ced0
    1cee0-1cef0 1d2c0-1d2d3 1df25-1df2a 1e030-1e06d 1e4d0-1e4eb 1e4f0-1e4f9 1e5d0-1e5ed
    1e5f0-1e5fa 1e5ff 1e6c0-1e6de 1e6e0-1e6e2 1e6e4-1e6e5 1e6e7-1e6ed 1e6f0-1e6f4 1e6fe-1e6ff
    1f6d8 1f6dc 1f774-1f77f 1f7d9 1f8b2-1f8bb 1f8c0-1f8c1 1f8d0-1f8d8 1fa54-1fa57 1fa75-1fa77
    1fa87-1fa8a 1fa8e-1fa8f 1faad-1faaf 1fabb-1fabf 1fac6 1fac8 1facd-1facf 1fada-1fadc 1fadf
    1fae8-1faea 1faef 1faf7-1faf8 1fbcb-1fbef 1fbfa 2b739-2b73f 2cea2-2cead 2ebf0-2ee5d
    31350-33479
"""


def _spans(text: str) -> tuple[list[int], list[int]]:
    pairs = [span.partition("-") for span in text.split()]
    return [int(lo, 16) for lo, _, _ in pairs], [int(hi or lo, 16) for lo, _, hi in pairs]


def _in(code: int, spans: tuple[list[int], list[int]]) -> bool:
    index = bisect.bisect_right(spans[0], code) - 1
    return index >= 0 and code <= spans[1][index]


_ESCAPED, _RAW = _spans(_GRAPHEME_EXTEND), _spans(_PRINTED_RAW)


def describe_value(value: Any) -> str:
    """serde's `Unexpected` display of a JSON value, as in `invalid type: <this>, expected ...`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{'true' if value else 'false'}`"
    if isinstance(value, int) and -(2**63) <= value < 2**64:
        return f"integer `{value}`"
    if isinstance(value, (int, float)):  # serde_json reads integers beyond i64/u64 as f64
        try:
            return f"floating point `{_format_float(float(value))}`"
        except OverflowError:
            return f"floating point `{'-' if value < 0 else ''}inf`"
    if isinstance(value, str):
        return f"string {_debug_str(value)}"
    if isinstance(value, (list, tuple)):
        return "sequence"
    return "map" if isinstance(value, Mapping) else type(value).__name__


def unknown_variant(got: str, expected: Sequence[str]) -> str:
    """serde's `unknown variant` message; `got` is shown raw (Display), not escaped."""
    return _unknown("variant", got, expected)


def first_error(value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> str | None:
    """The first error serde would report deserialising `value` as `schema`'s type, or None.

    `root` is the bundled schema document that `$ref` pointers (`#/definitions/...`) resolve in.
    """
    return _Walker(root).check(value, schema)


def _unknown(what: str, got: str, expected: Sequence[str]) -> str:
    if not expected:
        return f"unknown {what} `{got}`, there are no {what}s"
    quoted = [f"`{name}`" for name in expected]
    if len(quoted) <= 2:
        return f"unknown {what} `{got}`, expected {' or '.join(quoted)}"
    return f"unknown {what} `{got}`, expected one of {', '.join(quoted)}"


def _invalid_type(value: Any, expected: str) -> str:
    return f"invalid type: {describe_value(value)}, expected {expected}"


def _elements(n: int) -> str:
    return f"{n} element" if n == 1 else f"{n} elements"


def _format_float(x: float) -> str:
    """Shortest round-trip digits laid out as the `ryu` crate does (`1e16`, `0.00001`, `2.0`)."""
    if not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    sign = "-" if math.copysign(1.0, x) < 0 else ""
    if x == 0:
        return sign + "0.0"
    _, digit_tuple, exponent = Decimal(repr(abs(x))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    k = int(exponent) + len(digit_tuple) - len(digits)  # value = digits * 10^k
    kk = len(digits) + k  # value in [10^(kk-1), 10^kk)
    if k >= 0 and kk <= 16:
        return f"{sign}{digits}{'0' * k}.0"
    if 0 < kk <= 16:
        return f"{sign}{digits[:kk]}.{digits[kk:]}"
    if -5 < kk <= 0:
        return f"{sign}0.{'0' * -kk}{digits}"
    mantissa = digits if len(digits) == 1 else f"{digits[0]}.{digits[1:]}"
    return f"{sign}{mantissa}e{kk - 1}"


def _debug_str(text: str) -> str:
    """Rust's `{:?}` of a str: quotes, C escapes, `\\u{..}` for unprintable or combining chars."""
    out = []
    for char in text:
        code = ord(char)
        if char in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[char])
        elif 0x20 <= code < 0x7F or _in(code, _RAW):
            out.append(char)
        elif _in(code, _ESCAPED) or unicodedata.category(char) in _NOT_PRINTABLE:
            out.append(f"\\u{{{code:x}}}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


class _Walker:
    """One traversal: `check` returns serde's first error for a value, or None if it fits."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root

    def resolve(self, schema: _Schema) -> tuple[_Schema, str]:
        """Follow `$ref`s and one-element `allOf`s; return the target and its type name."""
        name = ""
        for _ in range(64):
            if not isinstance(schema, Mapping):
                break
            ref, all_of = schema.get("$ref"), schema.get("allOf")
            if isinstance(ref, str) and ref.startswith("#/"):
                name, node = ref.rsplit("/", 1)[-1], self.root
                for part in ref[2:].split("/"):
                    node = node[part.replace("~1", "/").replace("~0", "~")]
                schema = node
            elif isinstance(all_of, list) and len(all_of) == 1 and "properties" not in schema:
                schema = all_of[0]
            else:
                break
        if not name and isinstance(schema, Mapping) and isinstance(schema.get("title"), str):
            name = schema["title"]
        return schema, name

    def check(self, value: Any, schema: _Schema, label: str = "") -> str | None:
        schema, name = self.resolve(schema)
        if not isinstance(schema, Mapping):
            return None if schema is not False else _invalid_type(value, "nothing")
        if value is None and _nullable(schema):
            return None
        for key in ("oneOf", "anyOf"):
            if isinstance(members := schema.get(key), list) and members:
                return self.union(value, members, name)
        if isinstance(all_of := schema.get("allOf"), list) and "properties" not in schema:
            return next(filter(None, (self.check(value, part) for part in all_of)), None)
        enum = schema.get("enum", [schema["const"]] if "const" in schema else None)
        if isinstance(enum, list) and enum and all(isinstance(v, str) for v in enum):
            return self.external(value, [(v, None, None) for v in enum], name)
        if isinstance(enum, list) and value not in enum:
            return f"invalid value: {describe_value(value)}, expected one of {enum!r}"
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = [t for t in kind if t != "null"] or ["null"]
            if any(self.check(value, {**schema, "type": t}) is None for t in kinds[1:]):
                return None
            kind = kinds[0]
        if kind == "object" or (kind is None and "properties" in schema):
            extra = schema.get("additionalProperties")
            if "properties" in schema or extra is None or extra is False:
                return self.struct(value, schema, label or f"struct {name}".rstrip())
            return self.map(value, extra)
        return self.scalar(value, kind, schema)

    def scalar(self, value: Any, kind: Any, schema: Mapping[str, Any]) -> str | None:
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if kind == "null":
            return None if value is None else _invalid_type(value, "unit")
        if kind == "boolean":
            return None if isinstance(value, bool) else _invalid_type(value, "a boolean")
        if kind == "string":
            return None if isinstance(value, str) else _invalid_type(value, "a string")
        if kind == "number":
            rust = "f32" if schema.get("format") == "float" else "f64"
            return None if is_int or isinstance(value, float) else _invalid_type(value, rust)
        if kind == "integer":  # schemars formats: int8..int64, uint8..uint64, int/uint (size)
            match = re.fullmatch(r"(u?)int(\d*)", str(schema.get("format")))
            unsigned, bits = match.groups() if match else ("", "64")
            rust, size = ("u" if unsigned else "i") + (bits or "size"), int(bits or 64)
            low, high = (0, 2**size) if unsigned else (-(2 ** (size - 1)), 2 ** (size - 1))
            if not is_int or not -(2**63) <= value < 2**64:
                return _invalid_type(value, rust)
            if low <= value < high:
                return None
            return f"invalid value: {describe_value(value)}, expected {rust}"
        if kind == "array":
            if not isinstance(value, (list, tuple)):
                return _invalid_type(value, "a sequence")
            items = schema.get("items", True)
            for item in value if not isinstance(items, list) else ():  # no tuples in params
                if error := self.check(item, items):
                    return error
        return None

    def map(self, value: Any, values: _Schema) -> str | None:
        if not isinstance(value, Mapping):
            return _invalid_type(value, "a map")
        return next(filter(None, (self.check(item, values) for item in value.values())), None)

    def struct(
        self, value: Any, schema: Mapping[str, Any], label: str, skip: str = "", seq: bool = True
    ) -> str | None:
        """A derived struct: map entries in input order, then the first missing field."""
        props: Mapping[str, Any] = schema.get("properties") or {}
        fields = [field for field in props if field != skip]
        required = [field for field in schema.get("required") or () if field != skip]
        if isinstance(value, Mapping):
            extra = schema.get("additionalProperties")
            for key, item in value.items():
                if key == skip:
                    continue
                if key in props:
                    error = self.check(item, props[key])
                elif extra is False:
                    error = _unknown("field", key, fields)
                else:
                    error = self.check(item, extra) if isinstance(extra, Mapping) else None
                if error:
                    return error
            for field in [*fields, *required]:
                if field in required and field not in value and _can_be_missing(props.get(field)):
                    return f"missing field `{field}`"
            return None
        if not (seq and isinstance(value, (list, tuple))):
            return _invalid_type(value, label)
        for index, field in enumerate(fields):  # the fields in declaration order
            if index < len(value):
                if error := self.check(value[index], props[field]):
                    return error
            elif not _has_default(props[field], field in required):
                return f"invalid length {index}, expected {label} with {_elements(len(fields))}"
        if len(value) > len(fields):
            return f"invalid length {len(value)}, expected {_elements(len(fields))} in sequence"
        return None

    def union(self, value: Any, members: Sequence[_Schema], name: str) -> str | None:
        non_null = [m for m in members if not _is_null(m)]
        if len(non_null) == 1 and len(members) > 1:  # Option<T>
            return self.check(value, non_null[0])
        resolved = [self.resolve(m)[0] for m in non_null]
        if all(isinstance(m, Mapping) for m in resolved):
            if (external := _external_variants(resolved)) is not None:
                return self.external(value, external, name)
            if tag := _common_tag(resolved):
                if content := _adjacent_content(resolved, tag):
                    return self.adjacent(value, resolved, tag, content, name)
                return self.internal(value, resolved, tag, name)
        if any(self.check(value, m) is None for m in non_null):
            return None
        return f"data did not match any variant of untagged enum {name}".rstrip()

    def external(self, value: Any, variants: list[_Variant], name: str) -> str | None:
        """Externally tagged enum: `"unit"` or `{"variant": content}`."""
        names = [variant[0] for variant in variants]
        if isinstance(value, str):
            if value not in names:
                return unknown_variant(value, names)
            content = variants[names.index(value)][1]
            if content is None:
                return None
            kind = "struct" if _is_inline_struct(content) else "newtype"
            return f"invalid type: unit variant, expected {kind} variant"
        if not isinstance(value, Mapping):
            return _invalid_type(value, "string or map")
        if len(value) != 1:
            return "invalid value: map, expected map with a single key"
        ((key, item),) = value.items()
        if key not in names:
            return unknown_variant(key, names)
        _, content, title = variants[names.index(key)]
        if content is None:
            return None if item is None else _invalid_type(item, "unit")
        label = _variant_label(name, title) if _is_inline_struct(content) else ""
        return self.check(item, content, label)

    def identifier(self, tag: Any, tags: list[str], catch_all: bool) -> tuple[int, str | None]:
        """A variant identifier as a derived enum reads it: by name, or by index."""
        if isinstance(tag, str):
            if tag in tags or catch_all:
                return tags.index(tag if tag in tags else "other"), None
            return -1, unknown_variant(tag, tags)
        if isinstance(tag, int) and not isinstance(tag, bool) and 0 <= tag < 2**64:
            if tag < len(tags) or catch_all:
                return (tag if tag < len(tags) else tags.index("other")), None
            shown = describe_value(tag)
            return -1, f"invalid value: {shown}, expected variant index 0 <= i < {len(tags)}"
        return -1, _invalid_type(tag, "variant identifier")

    def internal(self, value: Any, variants: list[Any], tag: str, name: str) -> str | None:
        """`#[serde(tag = "...")]`: the tag is found anywhere in a map, or first in a sequence."""
        tags = [str(_const(v["properties"][tag])) for v in variants]
        catch_all = "other" in tags and len(variants[tags.index("other")]["properties"]) == 1
        if not isinstance(value, (Mapping, list, tuple)):
            return _invalid_type(value, f"internally tagged enum {name}")
        is_map = isinstance(value, Mapping)
        if (tag not in value) if is_map else not value:
            return f"missing field `{tag}`"
        raw_tag, rest = (value[tag], value) if isinstance(value, Mapping) else (value[0], value[1:])
        index, error = self.identifier(raw_tag, tags, catch_all)
        if error:
            return error
        variant = variants[index]
        if len(variant["properties"]) > 1:
            return self.struct(rest, variant, _variant_label(name, variant.get("title")), tag)
        if isinstance(rest, Mapping) or not rest:  # a unit variant ignores other map keys
            return None
        return f"invalid length {len(rest)}, expected 0 elements in sequence"

    def adjacent(
        self, value: Any, variants: list[Any], tag: str, content: str, name: str
    ) -> str | None:
        """`#[serde(tag = "...", content = "...")]`: tag errors first, then the content."""
        tags = [str(_const(v["properties"][tag])) for v in variants]
        if isinstance(value, Mapping):
            if tag not in value:
                return f"missing field `{tag}`"
            raw_tag = value[tag]  # read as an enum: "name" or {"name": null}, not an index
            if error := self.external(raw_tag, [(t, None, None) for t in tags], name):
                return error
            index = tags.index(raw_tag if isinstance(raw_tag, str) else next(iter(raw_tag)))
            present, item = content in value, value.get(content)
        elif isinstance(value, (list, tuple)) and value:
            index, error = self.identifier(value[0], tags, False)
            if error:
                return error
            present, item = len(value) > 1, value[1] if len(value) > 1 else None
        elif isinstance(value, (list, tuple)):
            return f"invalid length 0, expected adjacently tagged enum {name}"
        else:
            return _invalid_type(value, f"adjacently tagged enum {name}")
        payload = variants[index]["properties"].get(content)
        if payload is None:
            error = _invalid_type(item, "unit") if present and item is not None else None
        elif not present and isinstance(value, Mapping):
            return f"missing field `{content}`"
        elif not present:
            return f"invalid length 1, expected adjacently tagged enum {name}"
        else:
            label = _variant_label(name, variants[index].get("title"))
            error = self.struct(item, payload, label, seq=False)
        if error or isinstance(value, Mapping) or len(value) <= 2:
            return error
        return f"invalid length {len(value)}, expected 2 elements in sequence"


def _variant_label(enum_name: str, title: Any) -> str:
    """`struct variant Enum::Variant`; schemars titles variants `<Variant><Enum>`."""
    variant = title if isinstance(title, str) else "?"
    if enum_name and variant.endswith(enum_name) and len(variant) > len(enum_name):
        variant = re.sub(r"v\d+::$", "", variant[: -len(enum_name)])  # `ApiKeyv2::Login...`
    return f"struct variant {enum_name}::{variant}"


def _is_null(schema: _Schema) -> bool:
    return isinstance(schema, Mapping) and schema.get("type") == "null" and len(schema) <= 2


def _nullable(schema: Mapping[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    members = schema.get("anyOf") or schema.get("oneOf")
    return isinstance(members, list) and any(_is_null(m) for m in members)


def _can_be_missing(schema: _Schema) -> bool:
    """Required and absent is an error unless serde fills it in (Option, or skip_serializing)."""
    return not isinstance(schema, Mapping) or not (_nullable(schema) or schema.get("writeOnly"))


def _has_default(schema: _Schema, required: bool) -> bool:
    """Whether a struct read from a sequence may stop before this field (`#[serde(default)]`)."""
    if not isinstance(schema, Mapping):
        return False
    if "default" in schema or schema.get("writeOnly"):
        return True
    return not required and not _nullable(schema)


def _is_inline_struct(schema: _Schema) -> bool:
    return isinstance(schema, Mapping) and "properties" in schema and "$ref" not in schema


def _const(schema: _Schema) -> str | None:
    """The value of a one-string `enum` or `const` (how schemars writes a tag), else None."""
    values = schema.get("enum", [schema.get("const")]) if isinstance(schema, Mapping) else None
    ok = isinstance(values, list) and len(values) == 1 and isinstance(values[0], str)
    return str(values[0]) if ok and values else None


def _external_variants(members: list[Any]) -> list[_Variant] | None:
    """Unit variants as string enums, data variants as closed `{variant: content}` objects."""
    variants: list[_Variant] = []
    for member in members:
        enum, props = member.get("enum"), member.get("properties")
        if isinstance(enum, list) and enum and all(isinstance(v, str) for v in enum):
            variants.extend((v, None, None) for v in enum)
        elif (
            isinstance(props, Mapping)
            and len(props) == 1
            and list(props) == member.get("required")
            and member.get("additionalProperties") is False
        ):
            ((key, content),) = props.items()
            variants.append((key, content, member.get("title")))
        else:
            return None
    return variants


def _common_tag(members: list[Any]) -> str:
    """The first required const-string property every variant has, if any."""
    candidates: list[str] | None = None
    for member in members:
        props, required = member.get("properties"), member.get("required") or ()
        if not isinstance(props, Mapping):
            return ""
        keys = [k for k, v in props.items() if _const(v) is not None and k in required]
        candidates = keys if candidates is None else [k for k in candidates if k in keys]
    return candidates[0] if candidates else ""


def _adjacent_content(members: list[Any], tag: str) -> str:
    """The content key when every data variant is `{tag, <same key>: inline struct}`."""
    keys = set()
    for member in members:
        others = [k for k in member["properties"] if k != tag]
        if len(others) > 1 or (others and not _is_inline_struct(member["properties"][others[0]])):
            return ""
        keys.update(others)
    return keys.pop() if len(keys) == 1 else ""
