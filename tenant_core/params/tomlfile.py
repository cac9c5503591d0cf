"""Reading and writing params.toml (the standard library reads TOML but does not write it)."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from tenant_core.params.changes import ParamError


def read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParamError.one(str(path), _("ファイルがありません。")) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ParamError.one(str(path), _("TOML として読めません: %(problem)s", problem=exc)) from None


def _string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def value(v: Any) -> str:
    """One TOML value: strings, integers, booleans, dates, lists and inline tables."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, list | tuple):
        if v and all(isinstance(i, dict) for i in v):
            return "[\n" + "".join(f"  {value(i)},\n" for i in v) + "]"
        return "[" + ", ".join(value(i) for i in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_string(k)} = {value(i)}" for k, i in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def dumps(data: dict[str, Any], header: str = "") -> str:
    lines = [f"# {line}" for line in header.splitlines()]
    lines += ["", "[values]"]
    lines += [f"{_string(k)} = {value(v)}" for k, v in data.get("values", {}).items()]
    for entry in data.get("scheduled", []):
        lines += ["", "[[scheduled]]"]
        lines += [f"{k} = {value(v)}" for k, v in entry.items()]
    return "\n".join(lines) + "\n"
