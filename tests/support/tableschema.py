"""A hand check of a Table Schema (docs/tableschema-*.json) on the rows of a CSV export: the
one validator of the open data's tests."""

import json
import re
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings

NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
INTEGER = re.compile(r"-?[0-9]+")
# Table Schema's default datetime format: ISO 8601 in UTC, « 2026-11-30T09:15:00Z ».
DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
BOOLEANS = {"true", "True", "TRUE", "1", "false", "False", "FALSE", "0"}


def load_schema(name):
    """docs/tableschema-<name>.json."""
    path = Path(settings.BASE_DIR) / "docs" / f"tableschema-{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _type_problem(field, value):
    kind = field["type"]
    if kind == "integer" and not INTEGER.fullmatch(value):
        return "is not an integer"
    if kind == "number" and not NUMBER.fullmatch(value):
        return "is not a number"
    if kind == "year" and not re.fullmatch(r"[0-9]{4}", value):
        return "is not a year"
    if kind == "boolean" and value not in BOOLEANS:
        return "is not a boolean"
    if kind == "datetime" and not DATETIME.fullmatch(value):
        return "is not a datetime"
    return None


def validate(schema, rows, header):
    """Names and order, required, types, enums, patterns, bounds, uniqueness (the primary key's
    too), URIs. Returns the list of problems (empty when valid)."""
    fields = schema["fields"]
    problems = []
    if header != [field["name"] for field in fields]:
        problems.append(f"header {header}")
    missing = set(schema.get("missingValues", [""]))
    keys = schema.get("primaryKey", [])
    keys = [keys] if isinstance(keys, str) else keys
    seen = {field["name"]: set() for field in fields}
    for number, row in enumerate(rows, start=2):
        for field in fields:
            name, rules = field["name"], field.get("constraints", {})
            value = row[name]
            if value in missing:
                if rules.get("required") or name in keys:
                    problems.append(f"line {number}: {name} is required")
                continue
            problem = _type_problem(field, value)
            if problem:
                problems.append(f"line {number}: {name}={value!r} {problem}")
                continue
            if field["type"] in ("integer", "number"):
                figure = float(value)
                if "minimum" in rules and figure < rules["minimum"]:
                    problems.append(f"line {number}: {name} below minimum")
                if "maximum" in rules and figure > rules["maximum"]:
                    problems.append(f"line {number}: {name} above maximum")
            if "enum" in rules and value not in rules["enum"]:
                problems.append(f"line {number}: {name}={value!r} not in enum")
            if "pattern" in rules and not re.fullmatch(rules["pattern"], value):
                problems.append(f"line {number}: {name}={value!r} does not match pattern")
            if field.get("format") == "uri":
                parsed = urlparse(value)
                if not (parsed.scheme in ("http", "https") and parsed.netloc):
                    problems.append(f"line {number}: {name}={value!r} is not a URI")
            if rules.get("unique") or keys == [name]:
                if value in seen[name]:
                    problems.append(f"line {number}: {name}={value!r} is not unique")
                seen[name].add(value)
    return problems
