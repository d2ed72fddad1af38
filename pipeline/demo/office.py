"""The office's own files: the quota table (任务分配表), the register (办事处登记), the README and
the Excel owner file left behind while a workbook is open.

Takes ``Settings`` or the built ``Demo`` and gives ``FileSpec``s (data, not bytes); no randomness.
"""

from __future__ import annotations

from pipeline.demo.defects import LOCK_FILE, LOCK_FILE_SIZE, QUOTA_FILE, README_FILE, REGISTER_FILE
from pipeline.demo.files import FileSpec, Sheet, Value
from pipeline.demo.people import profile_of
from pipeline.demo.plan import Demo
from pipeline.settings import Settings


def office_files(demo: Demo) -> list[FileSpec]:
    """The lock file, the quota table, the register and the README."""
    return [
        FileSpec(LOCK_FILE, "junk", fmt="bytes", raw=_lock_bytes()),
        _quota_file(demo.settings),
        _register_file(demo),
        FileSpec(README_FILE, "readme", fmt="text", raw=_readme(demo).encode("utf-8")),
    ]


def _quota_file(settings: Settings) -> FileSpec:
    top: list[str | None] = ["社区名称", "各应完成人数", None, "每周应完成人数", None, "备注"]
    second: list[str | None] = [None, "超声NT筛查", "血清学筛查", "超声NT筛查", "血清学筛查", None]
    rows: list[list[Value] | None] = []

    def num(x: float) -> Value:
        return int(x) if float(x).is_integer() else float(x)

    for i, c in enumerate(settings.communities):
        label = c.name if c.quota_nt < 72 or not c.short else c.short  # as in 附件2: 新民 ... 银华社区
        rows.append(
            [
                label,
                num(c.quota_nt),
                num(c.quota_serum),
                num(c.weekly_nt),
                num(c.weekly_serum),
                None if i else "",
            ]
        )
    total: list[Value] = [
        "合计",
        num(sum(c.quota_nt for c in settings.communities)),
        num(sum(c.quota_serum for c in settings.communities)),
        num(sum(c.weekly_nt for c in settings.communities)),
        num(sum(c.weekly_serum for c in settings.communities)),
        None,
    ]
    note = "1--3月已完成的数量不累计，但给与100元/例的补助；7月10日、10月10日、12月26日季度评比并兑现奖惩。"
    n = len(settings.communities)
    sheet = Sheet(
        "任务分配表",
        [top, second],
        rows,
        titles=[
            "唐河县泗洲街道办事处",
            settings.quota.table_title or "预防出生缺陷免费产前筛查工作任务分配表",
        ],
        merges=[(0, 0, 1, 0), (0, 1, 0, 2), (0, 3, 0, 4), (0, 5, 1, 5)],
        footer=[total],
        widths={0: 14, 1: 12, 2: 12, 3: 12, 4: 12, 5: 40},
        body_merges=[(0, 5, n - 1, 5, note)] if n > 1 else [],
    )
    return FileSpec(QUOTA_FILE, "quota", [sheet])


REGISTER_COLUMNS = [
    "登记类型",
    "社区",
    "姓名",
    "身份证号",
    "联系电话",
    "销号原因",
    "日期",
    "产前诊断结果",
    "合并到身份证号",
    "备注",
]


def _register_file(demo: Demo) -> FileSpec:
    rows: list[list[Value] | None] = [[entry.get(col) for col in REGISTER_COLUMNS] for entry in demo.register]
    sheet = Sheet(
        "登记簿",
        [list(REGISTER_COLUMNS)],
        rows,
        titles=[f"{demo.settings.programme.issuer}“两筛”工作登记簿"],
        text_cols=frozenset({3, 4, 8}),
        widths={0: 12, 1: 12, 3: 21, 4: 14, 6: 12, 7: 30, 8: 21, 9: 44},
    )
    return FileSpec(REGISTER_FILE, "register", [sheet])


def _lock_bytes() -> bytes:
    """An Excel owner file as left behind while a workbook is open (165 bytes)."""
    user = "jishengban"
    data = bytes([len(user)]) + user.encode("ascii")
    data += b"\x20" * (54 - len(data))
    data += bytes([len(user), 0]) + user.encode("utf-16-le")
    return (
        data
        + b"\x20\x00" * ((LOCK_FILE_SIZE - len(data)) // 2)
        + b"\x00" * ((LOCK_FILE_SIZE - len(data)) % 2)
    )


def _readme(demo: Demo) -> str:
    s = demo.settings
    return "\r\n".join(
        [
            "演示数据说明",
            "",
            f"本文件夹中的表格是为“{s.programme.name}”生成的演示数据，用于第一次试用本工具。",
            "表中所有姓名、身份证号、手机号、住址均为随机生成的虚构信息，不对应任何真实人员。",
            "",
            "内容包括：",
            "1. 各社区已孕对象花名册（每次报送一个文件，格式各不相同，含标题行、合并表头、文本日期、",
            "   身份证号错误、重复行、合计行、CSV文件等常见问题，用于演示数据问题清单）；",
            "2. 卫生院超声NT筛查登记、血清学筛查登记及卫生院系统导出文件；",
            "3. 任务分配表（附件2）；",
            "4. 办事处登记（个案销号、人工合并、产前诊断结果、纸质花名册接收记录）。",
            "",
            "演示的这一年：筛查工作自1月起常年开展，孕妇一般在孕11—13周做超声NT筛查，4—6周后做血清学筛查。",
            *(f"{c.name}：{profile_of(i).story}。" for i, c in enumerate(s.communities) if profile_of(i).story),
            "",
            "正式使用时，请删除本文件夹中的演示文件，换成各社区实际报送的花名册、卫生院的筛查登记、",
            "任务分配表和办事处登记，然后重新运行。",
            "",
        ]
    )
