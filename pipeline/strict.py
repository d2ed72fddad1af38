"""Strict conversion of TOML data into frozen dataclasses, with Chinese errors naming the key.

Generic: it knows the field declarations of :mod:`pipeline.settings` (``rule`` metadata: what a
rule is, an example, the switch it depends on) but no particular setting."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import types
import typing
from collections.abc import Callable
from typing import Any, Literal

from pipeline.errors import SettingsError

RangeCheck = Callable[[Any, str, Any, str], None]

_TYPE_NAMES = {str: "文本", int: "整数", float: "数字", bool: "true/false", dt.date: "日期(如 2020-04-10)"}


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "其中之一: " + " / ".join(f'"{a}"' for a in typing.get_args(tp))
    if origin in (tuple, list):
        return "列表"
    if origin is dict:
        return "表(键 = 值)"
    if dataclasses.is_dataclass(tp):
        return "表"
    return _TYPE_NAMES.get(tp, str(tp))


def _wrong_type(tp: Any, value: Any, key: str) -> SettingsError:
    return SettingsError(f"配置项 {key} 应为{_describe(tp)}，现为 {value!r}。")


def _convert(tp: Any, value: Any, key: str, check: RangeCheck) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value, key, check)
    if origin is Literal:
        if value not in args:
            raise SettingsError(f"配置项 {key} 的值 {value!r} 不在允许范围内，应为{_describe(tp)}。")
        return value
    if origin in (tuple, dict) or dataclasses.is_dataclass(tp):
        return _convert_container(tp, value, key, check)
    return _convert_scalar(tp, value, key)


def _convert_container(tp: Any, value: Any, key: str, check: RangeCheck) -> Any:
    """A list (-> tuple), a table (-> dict) or a sub-table (-> a settings dataclass)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is tuple:
        if not isinstance(value, list):
            raise _wrong_type(tp, value, key)
        return tuple(_convert(args[0], v, f"{key}[{i + 1}]", check) for i, v in enumerate(value))
    if not isinstance(value, dict):
        raise _wrong_type(tp, value, key)
    if origin is dict:
        return {str(k): _convert(args[1], v, f"{key}.{k}", check) for k, v in value.items()}
    return build(tp, value, key, check)


def _convert_scalar(tp: Any, value: Any, key: str) -> Any:
    """Text, numbers, true/false and dates: TOML's own types, checked strictly (no bool for a number,
    no date-time for a date)."""
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _wrong_type(tp, value, key)
        if not math.isfinite(value):  # TOML accepts nan and inf
            raise SettingsError(f"配置项 {key} 应为一个确定的数字，现为 {value!r}（不能是 nan 或 inf）。")
        return float(value)
    if tp is dt.date:
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise _wrong_type(tp, value, key)
        return value
    if (tp is int and isinstance(value, bool)) or not isinstance(value, tp):
        raise _wrong_type(tp, value, key)
    return value


def build(cls: Any, data: dict[str, Any], prefix: str, check: RangeCheck) -> Any:
    """``data`` (a TOML table) as an instance of the dataclass ``cls``: unknown keys, wrong types and
    missing required keys raise :class:`SettingsError` naming the key (``prefix`` + name); ``check``
    is called with each converted value (the class, the field name, the value, the key)."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in ("source", "lines", "display")}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        where = f"{prefix}." if prefix else ""
        raise SettingsError(
            f"配置项 {where}{unknown[0]} 无法识别（可能是拼写错误）。可用的配置项: {', '.join(fields)}。"
        )
    kwargs = {}
    for name, f in fields.items():
        key = f"{prefix}.{name}" if prefix else name
        if name in data:
            kwargs[name] = _convert(hints[name], data[name], key, check)
            check(cls, name, kwargs[name], key)
        elif _required(f, fields, data):
            raise _missing(key, f, hints[name])
    return cls(**kwargs)


def _required(f: dataclasses.Field[Any], fields: dict[str, dataclasses.Field[Any]], data: dict[str, Any]) -> bool:
    """A rule switched on (its switch true in ``data``), or any field without a default."""
    switch = f.metadata.get("when")
    if switch:
        return data.get(switch) is True
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _missing(key: str, f: dataclasses.Field[Any], tp: Any) -> SettingsError:
    """The error for a rule a config leaves out: the key, what it is, what to write and where."""
    what, example = f.metadata.get("what", ""), f.metadata.get("example", "")
    about = f"（{what}）" if what else ""
    section, _, name = key.rpartition(".")
    if f.metadata.get("rule") and not example:  # a whole section
        return SettingsError(
            f"配置文件中缺少 {key}{about}。请从随程序提供的示例 config.toml 复制这一部分后按本单位的方案修改，"
            "或用 screening init 生成完整的配置文件。"
        )
    if not example:
        return SettingsError(f"缺少必填配置项 {key}。")
    where = f"[{section}] 一节中" if section else "配置文件开头"
    switch = f.metadata.get("when")
    because = f"（{section}.{switch} = true 时必填）" if switch else ""
    return SettingsError(
        f"缺少必填配置项 {key}{about}{because}。方案的规则不设默认值，请在配置文件的{where}写明，例如：{name} = {example}"
    )


def key_lines(text: str) -> dict[str, int]:
    """Map "section.key" to the line where it is set (first occurrence), for 口径说明."""
    lines: dict[str, int] = {}
    section = ""
    counts: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        m = re.match(r"^\[\[\s*([^\]]+?)\s*\]\]", stripped)
        if m:
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
            section = f"{m.group(1)}[{counts[m.group(1)]}]"
            lines.setdefault(section, number)
            continue
        m = re.match(r"^\[\s*([^\]]+?)\s*\]", stripped)
        if m:
            section = m.group(1)
            lines.setdefault(section, number)
            continue
        m = re.match(r"^([A-Za-z0-9_\"]+)\s*=", stripped)
        if m:
            key = m.group(1).strip('"')
            lines.setdefault(f"{section}.{key}" if section else key, number)
    return lines
