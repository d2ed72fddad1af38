"""A deterministic generator of county-, city- and province-size input corpora for `make bench`.

The organisation has three levels (county / township / community, key "县/乡镇/村"): community
names repeat across townships (every township has its 王庄村 or 新华社区) and township names repeat
across counties (every county has a 城关镇), so a roster's community is resolved within its
township, which comes from the folder path, the file name, the title or a 乡镇 column.

Each township sends five files a year, messy like the demo (``pipeline/demo.py``, whose sheet model
and writers are reused): three roster submissions (xlsx with a two-row header, xls (BIFF8) or CSV
in GBK, xlsx/CSV with short and Traditional names and full-width digits) and the health centre's
NT and serum logs (xlsx with two sheets, CSV or xls). About 1 row in 200 carries a defect: an ID
with a wrong check digit or saved as a number, an impossible date, blank, subtotal and footer rows.

Everything is drawn from numpy generators seeded from (seed, county, township), so a township's
files are the same whichever process writes them. Corpora are written under ``bench/corpus/``
(git-ignored), never committed: ``python bench/corpus.py county`` (or city, province).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import shutil
import sys
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.demo.files import FileSpec, Sheet  # noqa: E402
from pipeline.demo.files import date_text as _date_text  # noqa: E402
from pipeline.demo.files import write_csv as _write_csv  # noqa: E402
from pipeline.demo.files import write_xlsx as _write_xlsx  # noqa: E402
from pipeline.demo.people import GIVEN_FIRST, GIVEN_SECOND, GIVEN_SINGLE, SURNAMES  # noqa: E402

GENERATOR_VERSION = 5
CORPUS_DIR = ROOT / "bench" / "corpus"
AS_OF = dt.date(2020, 12, 31)


@dataclass(frozen=True)
class Size:
    name: str
    counties: int
    townships: int  # per county
    communities: int  # per township
    roster: int  # target roster rows (≈ women)
    log: int  # target log rows (≈ 2 per woman)

    @property
    def files(self) -> int:
        return self.counties * self.townships * 5


SIZES: dict[str, Size] = {
    # The demo's five communities scaled ×FIVE_SCALE (≈ 200 k input rows): built by the demo's own
    # generator (xlsx, CSV in GBK and UTF-8, the HTML-as-.xls export, the demo's defects).
    "five": Size("five", 1, 1, 5, 14_550, 15_000),
    "county": Size("county", 1, 20, 12, 20_000, 40_000),
    "city": Size("city", 6, 20, 12, 200_000, 400_000),
    "province": Size("province", 25, 20, 12, 1_000_000, 2_000_000),
}

COUNTY_NAMES = (
    "平安县", "长乐县", "永宁县", "安阳县", "新安县", "宜阳县", "洛宁县", "嵩县", "汝阳县", "鲁山县",
    "郏县", "宝丰县", "叶县", "舞阳县", "临颍县", "西平县", "上蔡县", "平舆县", "正阳县", "确山县",
    "泌阳县", "汝南县", "遂平县", "新蔡县", "息县",
)
TOWNSHIP_POOL = (
    "城关镇", "城郊乡", "王集乡", "李店镇", "张店镇", "新集乡", "马庄乡", "黄岗镇", "高庙镇", "东王乡",
    "西岗乡", "南河镇", "北关镇", "大河镇", "小店乡", "白庄乡", "桐柏镇", "杨楼乡", "刘集镇", "陈庄乡",
    "赵河镇", "孙寨乡", "周庄镇", "吴店镇", "郑岗乡", "冯楼乡", "湖阳镇", "朱集乡", "何庄镇", "罗店乡",
)
COMMUNITY_POOL = (
    "王庄村", "李庄村", "张庄村", "刘营村", "陈湾村", "杨店村", "赵岗村", "黄楼村", "周寨村", "吴集村",
    "新华社区", "东关社区", "西关社区", "南街社区", "北街社区", "前进村", "胜利村", "红旗村", "和平村",
    "建设社区", "幸福村", "团结村", "光明村", "跃进村", "东风村", "五星村", "长岗村", "大庄村", "小王庄村",
    "高楼村", "马岗村", "孙庄村", "朱庄村", "何湾村", "郭店村", "林场村", "河东村", "河西村", "桥头村",
)
TRADITIONAL = str.maketrans({"东": "東", "华": "華", "区": "區", "园": "園"})
ROSTER_DATES = (dt.date(2020, 4, 18), dt.date(2020, 7, 8), dt.date(2020, 10, 28))
ID_WEIGHTS = np.array((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), dtype=np.int64)
ID_CHECK = np.array(list("10X98765432"), dtype="<U1")
DEFECT_RATE = 0.005


@dataclass(frozen=True)
class Township:
    county_index: int
    index: int  # within the county
    county: str
    name: str
    communities: tuple[str, ...]

    @property
    def parent(self) -> str:
        return f"{self.county}/{self.name}"


def organisation(size: Size, seed: int) -> list[Township]:
    rng = np.random.default_rng([seed, 0])
    out = []
    for ci in range(size.counties):
        county = COUNTY_NAMES[ci % len(COUNTY_NAMES)]
        towns = rng.permutation(len(TOWNSHIP_POOL))[: size.townships]
        for ti, t in enumerate(towns):
            comms = rng.permutation(len(COMMUNITY_POOL))[: size.communities]
            out.append(Township(ci, ti, county, TOWNSHIP_POOL[t], tuple(COMMUNITY_POOL[c] for c in comms)))
    return out


# ---------------------------------------------------------------------------------------------
# People, vectorised


def _ids(rng: np.random.Generator, n: int, area: str) -> np.ndarray:
    births = np.datetime64("1980-01-01") + rng.integers(0, 8000, n).astype("timedelta64[D]")
    ymd = np.char.replace(np.datetime_as_string(births, unit="D"), "-", "")
    seq = np.char.zfill((rng.integers(0, 500, n) * 2).astype(str), 3)
    body = np.char.add(np.char.add(area, ymd), seq)
    digits = body.astype("S17").view(np.uint8).reshape(n, 17).astype(np.int64) - 48
    check = ID_CHECK[(digits * ID_WEIGHTS).sum(axis=1) % 11]
    return np.char.add(body, check)


def _names(rng: np.random.Generator, n: int) -> np.ndarray:
    sur = np.array(list(SURNAMES))[rng.integers(0, 60, n)]
    single = np.array(list(GIVEN_SINGLE))[rng.integers(0, len(GIVEN_SINGLE), n)]
    first = np.array(list(GIVEN_FIRST))[rng.integers(0, len(GIVEN_FIRST), n)]
    second = np.array(list(GIVEN_SECOND))[rng.integers(0, len(GIVEN_SECOND), n)]
    given = np.where(rng.random(n) < 0.35, single, np.char.add(first, second))
    return np.char.add(sur, given)


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    return (13_000_000_000 + rng.integers(0, 6_999_999_999, n)).astype(str)


def _dates(base: dt.date, offsets: np.ndarray) -> list[dt.date]:
    o = base.toordinal()
    return [dt.date.fromordinal(o + int(x)) for x in offsets]


@dataclass
class People:
    n: int
    community: np.ndarray
    name: np.ndarray
    id: np.ndarray
    phone: np.ndarray
    lmp: np.ndarray  # days after 2019-10-01
    reg: np.ndarray
    batch: np.ndarray  # which roster submission lists her
    rostered: np.ndarray


def _people(rng: np.random.Generator, t: Township, n: int, seed: int) -> People:
    extra = max(1, int(n * 0.025))  # screened but on no roster
    m = n + extra
    area = f"41{t.county_index:02d}{t.index:02d}"
    lmp = rng.integers(0, 390, m)  # 2019-10-01 .. 2020-10-25
    reg = lmp + rng.integers(42, 90, m)
    reg_day = np.datetime64("2019-10-01") + reg.astype("timedelta64[D]")
    bounds = np.array([np.datetime64(d.isoformat()) for d in ROSTER_DATES])
    batch = np.minimum(np.searchsorted(bounds, reg_day), 2)
    rostered = np.ones(m, dtype=bool)
    rostered[n:] = False
    return People(
        n=m,
        community=rng.integers(0, len(t.communities), m),
        name=_names(rng, m),
        id=_ids(rng, m, area),
        phone=_phones(rng, m),
        lmp=lmp,
        reg=reg,
        batch=batch,
        rostered=rostered,
    )


LMP0 = dt.date(2019, 10, 1)


def _defect_ids(rng: np.random.Generator, ids: list[Any]) -> None:
    """In place: a few wrong check digits, IDs saved as numbers, full-width digits, lower-case x."""
    n = len(ids)
    for i in np.flatnonzero(rng.random(n) < DEFECT_RATE):
        kind = rng.integers(0, 4)
        v = str(ids[i])
        if kind == 0:
            ids[i] = v[:17] + ("0" if v[17] != "0" else "1")
        elif kind == 1:
            ids[i] = float(v[:17] + "0")  # Excel kept 15 significant digits
        elif kind == 2:
            ids[i] = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in v)
        else:
            ids[i] = v.lower() + " "


# ---------------------------------------------------------------------------------------------
# Files of one township


def _roster_rows(p: People, idx: np.ndarray, t: Township, style: int, rng: np.random.Generator) -> list[list[Any]]:
    ids: list[Any] = p.id[idx].tolist()
    _defect_ids(rng, ids)
    names = p.name[idx].tolist()
    comm = [t.communities[c] for c in p.community[idx]]
    if style == 2:  # short names, some Traditional
        trad = rng.random(len(idx)) < 0.05
        comm = [
            (c.translate(TRADITIONAL) if tr else c.removesuffix("村") if j % 3 == 0 else c)
            for j, (c, tr) in enumerate(zip(comm, trad, strict=True))
        ]
    lmp = _dates(LMP0, p.lmp[idx])
    reg = _dates(LMP0, p.reg[idx])
    phones = p.phone[idx].tolist()
    rows: list[list[Any]] = []
    for j in range(len(idx)):
        edd = lmp[j] + dt.timedelta(days=280)
        if style == 0:  # dates as Excel dates
            rows.append([j + 1, names[j], ids[j], phones[j], comm[j], lmp[j], edd, f"{comm[j]}{j % 12 + 1}组", reg[j]])
        else:  # dates as text in the styles offices use
            s = (j + style) % 5
            lmp_v: Any = _date_text(lmp[j], s)
            if rng.random() < DEFECT_RATE:
                lmp_v = "2020-02-30"
            rows.append([j + 1, names[j], ids[j], phones[j], comm[j], lmp_v, _date_text(reg[j], (s + 1) % 5)])
    return rows


def _log_rows(
    p: People, t: Township, test: str, rng: np.random.Generator
) -> tuple[list[list[Any]], list[dt.date]]:
    lo, hi = (77, 98) if test == "nt" else (105, 147)
    p_done = 0.93 if test == "nt" else 0.9
    who = np.flatnonzero(rng.random(p.n) < p_done)
    offset = rng.integers(lo, hi, len(who))
    odd = rng.random(len(who)) < 0.03  # outside the window
    offset = np.where(odd, offset + rng.integers(-20, 20, len(who)), offset)
    repeat = rng.random(len(who)) < 0.15
    who = np.concatenate([who, who[repeat]])
    offset = np.concatenate([offset, offset[repeat] + rng.integers(1, 20, int(repeat.sum()))])
    day = p.lmp[who] + offset
    limit = (AS_OF - LMP0).days
    keep = day <= limit
    who, day = who[keep], day[keep]
    order = np.argsort(day, kind="stable")
    who, day = who[order], day[order]
    ids: list[Any] = p.id[who].tolist()
    _defect_ids(rng, ids)
    dates = _dates(LMP0, day)
    lmps = _dates(LMP0, p.lmp[who])
    rows = []
    names, phones = p.name[who].tolist(), p.phone[who].tolist()
    high = rng.random(len(who)) < 0.01
    for j, w in enumerate(who):
        c = t.communities[p.community[w]]
        addr = f"{t.name}{c}{j % 9 + 1}组" if not p.rostered[w] or j % 4 == 0 else f"{c}{j % 9 + 1}组"
        ga = int(day[j] - p.lmp[w])
        result = ("高风险" if high[j] else "低风险") if test == "serum" else ("NT增厚" if high[j] else "未见异常")
        rows.append([j + 1, names[j], ids[j], phones[j], addr, lmps[j], dates[j], f"{ga // 7}+{ga % 7}", result])
    return rows, dates


def _xls_value(v: Any) -> Any:
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def _write_xls(path: Path, spec: FileSpec) -> None:
    """BIFF8 via xlwt (bench-only dependency): titles, one header row, data, footer."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    for sheet in spec.sheets:
        ws = wb.add_sheet(sheet.name)
        r = 0
        for title in sheet.titles:
            ws.write(r, 0, title)
            r += 1
        for header in sheet.header:
            for c, label in enumerate(header):
                if label:
                    ws.write(r, c, label)
            r += 1
        for row in [*sheet.rows, *sheet.footer]:
            if row is not None:
                for c, v in enumerate(row):
                    if v is not None and v != "":
                        ws.write(r, c, _xls_value(v))
            r += 1
    wb.save(str(path))


def _write(path: Path, spec: FileSpec) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    if spec.fmt == "xlsx":
        _write_xlsx(path, spec)
    elif spec.fmt == "xls":
        _write_xls(path, spec)
    else:
        _write_csv(path, spec)
    return spec.data_rows


def _with_blanks(rows: list[list[Any]], rng: np.random.Generator) -> list[list[Any] | None]:
    out: list[list[Any] | None] = []
    for r in rows:
        out.append(r)
        if rng.random() < DEFECT_RATE:
            out.append(None)
    return out


def township_files(t: Township, women: int, seed: int, folder: Path) -> dict[str, int]:
    """Write the five files of one township; returns row counts."""
    rng = np.random.default_rng([seed, t.county_index, t.index])
    p = _people(rng, t, women, seed)
    counts = {"roster": 0, "log": 0, "files": 0}
    town_dir = folder / t.county / t.name
    year_title = f"{t.county}{t.name}2020年已孕对象花名册"
    variant = (t.county_index + t.index) % 2
    for b, due in enumerate(ROSTER_DATES):
        idx = np.flatnonzero(p.rostered & (p.batch == b))
        if b == 2 and len(idx):  # a few women also on another community's roster (conflict)
            conflict = idx[rng.random(len(idx)) < 0.003]
            idx = np.concatenate([idx, conflict])
        else:
            conflict = idx[:0]
        rows = _roster_rows(p, idx, t, b, rng)
        for j in range(len(rows) - len(conflict), len(rows)):  # listed again under another community
            other = t.communities[(p.community[idx[j]] + 1) % len(t.communities)]
            rows[j][4] = other
        stamp = f"{due:%Y%m%d}"
        if b == 0:
            header = [
                ["序号", "孕妇基本信息", None, None, "所属村(居)", "孕情", None, "现住址", "登记日期"],
                [None, "姓名", "身份证号", "联系电话", None, "末次月经", "预产期", None, None],
            ]
            sheet = Sheet(
                "花名册",
                header,
                list(_with_blanks(rows, rng)),
                titles=[year_title, f"填报单位：{t.name}计生办    填报日期：{due.year}年{due.month}月{due.day}日"],
                merges=[(0, 1, 0, 3), (0, 5, 0, 6)],
                footer=[["合计", f"{len(rows)}人"], ["填表人：" + "王芳", None, None, "审核人：李静"]],
                text_cols=frozenset({2, 3}),
            )
            spec = FileSpec(f"{t.name}已孕对象花名册{stamp}.xlsx", "roster", [sheet], "xlsx")
            counts["roster"] += _write(town_dir / spec.name, spec)
        elif b == 1:
            header = [["序号", "姓名", "身份证号码", "手机号", "村居", "末次月经时间", "登记日期"]]
            if variant == 0:  # xls in the county folder: the township only in a 乡镇 column
                rows = [[*r[:4], t.name if j % 5 else t.name.removesuffix("镇").removesuffix("乡"), *r[4:]] for j, r in enumerate(rows)]
                header = [["序号", "姓名", "身份证号码", "手机号", "乡镇", "村居", "末次月经时间", "登记日期"]]
                sheet = Sheet("Sheet1", header, list(rows), titles=[f"已孕对象花名册（更新）{due.month}月{due.day}日"])
                spec = FileSpec(f"花名册更新{stamp}_{t.index:02d}.xls", "roster", [sheet], "xls")
                counts["roster"] += _write(folder / t.county / spec.name, spec)
            else:  # GBK CSV in the township folder
                sheet = Sheet("Sheet1", header, list(rows), titles=[f"{t.name}已孕对象花名册 填报日期：{due:%Y.%m.%d}"])
                spec = FileSpec(f"{t.name}花名册{due:%m%d}.csv", "roster", [sheet], "csv-gbk")
                counts["roster"] += _write(town_dir / spec.name, spec)
        else:
            header = [["序号", "姓名", "身份证号", "联系电话", "社区(村)", "末次月经", "建档日期"]]
            sheet = Sheet(
                "花名册",
                header,
                list(_with_blanks(rows, rng)),
                titles=[f"{t.name}孕产妇花名册", f"上报日期：{due.year}年{due.month}月{due.day}日"],
                footer=[["小计", None, None, None, None, None, f"{len(rows)}"]],
                text_cols=frozenset({2, 3}),
            )
            fmt = "xlsx" if variant == 0 else "csv-utf8"
            ext = "xlsx" if fmt == "xlsx" else "csv"
            spec = FileSpec(f"{t.name}花名册{stamp}.{ext}", "roster", [sheet], fmt)
            counts["roster"] += _write(town_dir / spec.name, spec)
        counts["files"] += 1
    # Screening logs of the township's health centre.
    nt_rows, _ = _log_rows(p, t, "nt", rng)
    header = [["序号", "姓名", "身份证号", "联系电话", "现住址", "末次月经", "筛查日期", "孕周", "检查结果"]]
    half = len(nt_rows) // 2
    halves: list[tuple[str, list[list[Any] | None]]] = [("上半年", [*nt_rows[:half]]), ("下半年", [*nt_rows[half:]])]
    sheets = [
        Sheet(name, header, part, titles=[f"{t.name}卫生院超声NT筛查登记（{name}）"], text_cols=frozenset({2, 3}))
        for name, part in halves
    ]
    spec = FileSpec(f"{t.name}卫生院超声NT筛查登记2020.xlsx", "nt_log", sheets, "xlsx")
    counts["log"] += _write(town_dir / "卫生院" / spec.name, spec)
    serum_rows, _ = _log_rows(p, t, "serum", rng)
    serum_rows = [[*r[:6], "血清学" if j % 3 else "唐筛", *r[6:]] for j, r in enumerate(serum_rows)]
    header = [["序号", "姓名", "身份证号", "联系电话", "现住址", "末次月经", "筛查项目", "采血日期", "孕周", "筛查结果"]]
    sheet = Sheet("血清学", header, list(serum_rows), titles=[f"{t.name}卫生院产前筛查登记"])
    if variant == 0:
        spec = FileSpec(f"{t.name}卫生院血清学筛查登记.xls", "serum_log", [sheet], "xls")
    else:
        spec = FileSpec(f"{t.name}卫生院血清学筛查登记.csv", "serum_log", [sheet], "csv-utf8")
    counts["log"] += _write(town_dir / "卫生院" / spec.name, spec)
    counts["files"] += 2
    return counts


# ---------------------------------------------------------------------------------------------
# Config


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def _toml(data: dict[str, Any]) -> str:
    lines: list[str] = []
    for section, body in data.items():
        if isinstance(body, list):
            for item in body:
                lines.append(f"[[{section}]]")
                lines.extend(f"{k} = {_toml_value(v)}" for k, v in item.items())
                lines.append("")
            continue
        lines.append(f"[{section}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in body.items())
        lines.append("")
    return "\n".join(lines)


def config_text(size: Size, towns: list[Township], women: int) -> str:
    base = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))
    name = {"county": "平安县", "city": "南阳市", "province": "河南省"}.get(size.name, "测试县")
    base["programme"]["name"] = f"{name}2020年免费产前筛查（两筛）"
    base["programme"]["issuer"] = f"{name}卫生健康委员会"
    base["programme"]["doc_number_prefix"] = ""
    per_community = women / (len(towns) * size.communities)
    annual = max(1, round(per_community * 0.7))
    weekly = round(annual / 38, 2)
    communities = [
        {"name": c, "parent": t.parent, "quota_nt": annual, "quota_serum": annual,
         "weekly_nt": weekly, "weekly_serum": weekly}
        for t in towns
        for c in t.communities
    ]
    base["programme"]["goal"] = annual * len(communities)
    base["quota"] = {"declared_total": annual * len(communities), "table_title": "任务分配表"}
    base["organisation"] = {**base["organisation"], "root": name, "levels": ["县", "乡镇", "村(社区)"]}
    # A province office writes one workbook per township (500), not per community (6,000).
    base["outputs"] = {"unit_level": "township" if size.name == "province" else "community"}
    base["columns"]["township"] = ["乡镇", "所属乡镇", "乡镇(街道)"]
    base["columns"]["community"] = [*base["columns"]["community"], "所属村(居)", "村居"]
    base["columns"]["reg_date"] = [*base["columns"]["reg_date"], "建档日期"]
    mail = base.pop("mail", None)
    directory = base.pop("directory", None)
    columns = base.pop("columns")
    tests = base.pop("tests")
    out: dict[str, Any] = {**base}
    if mail is not None:
        mail.pop("communities", None)
        out["mail"] = mail
    if directory is not None:
        out["directory"] = directory
    out["columns"] = columns
    out["tests"] = tests
    out["communities"] = communities
    return f"# Generated by bench/corpus.py for the {size.name} benchmark (fake organisation).\n" + _toml(out)


# ---------------------------------------------------------------------------------------------
# Driver


def _job(args: tuple[Township, int, int, str]) -> dict[str, int]:
    t, women, seed, folder = args
    return township_files(t, women, seed, Path(folder))


def corpus_path(size: str, root: Path = CORPUS_DIR) -> Path:
    return root / size


FIVE_SCALE = 25


def generate_five(out: Path, seed: int) -> dict[str, int]:
    """The demo folder with every community's women ×FIVE_SCALE and its quotas scaled alike: the
    same files, formats and defects as ``screening demo``, about 200 k input rows."""
    import pipeline.demo.people as people
    from pipeline.demo import generate_demo
    from pipeline.settings import load_settings

    base = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = _scaled_config(base, FIVE_SCALE)
    (out / "config.toml").write_text(text, encoding="utf-8")
    settings = load_settings(out / "config.toml")
    saved = people.PROFILES
    people.PROFILES = tuple(dataclasses.replace(p, women=p.women * FIVE_SCALE) for p in saved)
    try:
        files = generate_demo(out / "input", settings, seed)
    finally:
        people.PROFILES = saved
    return {"files": len(files)}


def _scaled_config(text: str, factor: int) -> str:
    """config.toml with the quotas, goal and declared total multiplied by ``factor``."""
    import re

    def scale(m: re.Match[str]) -> str:
        value = float(m.group(2)) * factor
        return f"{m.group(1)}{int(value) if value.is_integer() else value}"

    return re.sub(r"(?m)^((?:quota_nt|quota_serum|weekly_nt|weekly_serum|goal|declared_total)\s*=\s*)(\d+(?:\.\d+)?)", scale, text)


def generate(size_name: str, *, seed: int = 2020, root: Path = CORPUS_DIR, workers: int | None = None,
             size: Size | None = None, force: bool = False) -> dict[str, Any]:
    """Write the corpus (``<root>/<size>/input`` and ``config.toml``) unless a complete one of
    this generator version is there; returns its manifest."""
    size = size or SIZES[size_name]
    out = root / size_name
    stamp = out / "corpus.json"
    want = {"version": GENERATOR_VERSION, "seed": seed, "size": dataclasses.asdict(size)}
    if stamp.exists() and not force:
        done = json.loads(stamp.read_text(encoding="utf-8"))
        if all(done.get(k) == v for k, v in want.items()):
            return done
    if out.exists():
        shutil.rmtree(out)
    (out / "input").mkdir(parents=True)
    if size_name == "five":
        t0 = time.perf_counter()
        counts = generate_five(out, seed)
        manifest = {**want, "files": counts["files"], "communities": 5, "townships": 1,
                    "bytes": sum(f.stat().st_size for f in (out / "input").rglob("*") if f.is_file()),
                    "seconds": round(time.perf_counter() - t0, 1)}
        stamp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        return manifest
    towns = organisation(size, seed)
    women = max(1, round(size.roster / len(towns)))
    t0 = time.perf_counter()
    jobs = [(t, women, seed, str(out / "input")) for t in towns]
    workers = workers or os.cpu_count() or 1
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_job, jobs, chunksize=max(1, len(jobs) // (workers * 8))))
    else:
        results = [_job(j) for j in jobs]
    (out / "config.toml").write_text(config_text(size, towns, size.roster), encoding="utf-8")
    manifest = {
        **want,
        "files": sum(r["files"] for r in results),
        "roster_rows": sum(r["roster"] for r in results),
        "log_rows": sum(r["log"] for r in results),
        "communities": len(towns) * size.communities,
        "townships": len(towns),
        "bytes": sum(f.stat().st_size for f in (out / "input").rglob("*") if f.is_file()),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    stamp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    for name in args.sizes:
        print(name, json.dumps(generate(name, seed=args.seed, force=args.force), ensure_ascii=False))


if __name__ == "__main__":
    main()
