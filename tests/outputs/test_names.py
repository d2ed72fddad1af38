"""Output names (pipeline.outputs.names): every name literal, built from a date, never a string."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from pipeline.outputs import names
from pipeline.settings import Community, Settings

AS_OF = dt.date(2020, 6, 30)


def test_run_folder_and_its_files(settings: Settings) -> None:
    root = Path("out")
    assert names.run_folder(root, AS_OF) == Path("out/2020-06-30")
    assert names.staging_folder(root, AS_OF, 42) == Path("out/.tmp-2020-06-30-42")
    assert names.superseded_folder(Path("out/2020-06-30"), 42) == Path("out/.old-2020-06-30-42")
    assert names.master_filename(AS_OF) == "两筛进度汇总_2020-06-30.xlsx"
    assert names.leaders_filename(AS_OF) == "领导版_2020-06-30.xlsx"
    assert names.health_centre_filename(settings, AS_OF) == "卫生院核对清单_2020-06-30.xlsx"
    assert tuple(names.circular_names(AS_OF)) == ("通报_2020-06-30.docx", "通报_2020-06-30.html", "通报摘要_2020-06-30.txt")
    assert (names.SUMMARY_FILE, names.MANIFEST_FILE, names.PROBLEMS_FILE) == ("summary.json", "manifest.json", "数据问题.xlsx")
    assert names.community_attachment_name("新华社区", AS_OF) == "新华社区_两筛进度_2020-06-30.xlsx"


def test_leftovers_are_read_back_from_their_names() -> None:
    assert names.leftover_of(".tmp-2020-06-30-42") == names.Leftover(False, "2020-06-30", 42)
    assert names.leftover_of(".old-2020-06-30-7") == names.Leftover(True, "2020-06-30", 7)
    assert names.leftover_of(names.superseded_folder(Path("2020-12-31"), 9).name) == (True, "2020-12-31", 9)
    for other in ("2020-06-30", ".tmp-2020-06-30-x", ".old-x-y", ".screening.lock", "社区"):
        assert names.leftover_of(other) is None, other


def test_community_file_uses_the_key_only_when_the_name_repeats(settings: Settings) -> None:
    first = settings.communities[0]
    assert names.community_filename(settings, first.key) == f"社区/{first.name}.xlsx"
    twins = dataclasses.replace(
        settings,
        communities=(
            Community("新村", 10, 10, 1, 1, parent="甲镇"),
            Community("新村", 10, 10, 1, 1, parent="乙镇"),
            Community('东/西:村*"', 10, 10, 1, 1, parent="乙镇"),
        ),
    )
    assert names.community_filename(twins, "甲镇/新村") == "社区/甲镇新村.xlsx"
    assert names.community_filename(twins, '乙镇/东/西:村*"') == "社区/东_西_村__.xlsx"


def test_outbox_messages_and_archive_folders_are_safe_names() -> None:
    # Separators, spaces and control characters become "_"; leading/trailing dots and "_" go.
    assert names.outbox_message_name(3, "新华 社区", "a/b@example.org") == "03_新华_社区_a_b@example.org.eml"
    assert names.outbox_message_name(12, "..", "") == "12_收件人_收件人.eml"
    assert names.issue_folder_name(AS_OF, "唐洲文〔2020〕 7号", 2) == "2020-06-30_唐洲文〔2020〕_7号_r2"
    assert names.issue_folder_name(AS_OF, " / ", 1) == "2020-06-30_无文号_r1"


def test_template_paths(settings: Settings) -> None:
    paths = names.template_paths(Path("t"), settings)
    assert paths[-1] == Path("t/办事处登记.xlsx")
    assert paths[0] == Path(f"t/{settings.communities[0].name}已孕对象花名册模板.xlsx")
    assert len(paths) == len(settings.communities) + 1
