"""The daily, queue and agent views as spreadsheets: CSV (with a byte-order mark, so Excel reads the
Chinese as UTF-8) and XLSX. Each column is headed in Chinese with the API's name beside it; rates
stay shares (0.8734), shown as percentages in XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

VIEWS = ("daily", "queues", "agents")
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    read: Callable[[dict[str, Any]], Any]
    percent: bool = False

    @property
    def header(self) -> str:
        return f"{self.zh} ({self.key})"


def _field(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda row: row.get(key)


def _csat(part: str) -> Callable[[dict[str, Any]], Any]:
    return lambda row: (row.get("csat") or {}).get(part)


COLUMNS: dict[str, list[Column]] = {
    "daily": [
        Column("day", "日期", _field("day")),
        Column("conversations", "会话量", _field("conversations")),
        Column("containment_rate", "机器人解决率", _field("containment_rate"), percent=True),
        Column("handoffs", "转人工", _field("handoffs")),
        Column("answer_rate", "接通率", _field("answer_rate"), percent=True),
        Column("fcr_rate", "首次解决率", _field("fcr_rate"), percent=True),
        Column("bot_csat", "机器人满意度", _field("bot_csat")),
        Column("human_csat", "人工满意度", _field("human_csat")),
        Column("sla_rate", "首响达标率", _field("sla_rate"), percent=True),
    ],
    "queues": [
        Column("queue", "队列", _field("queue")),
        Column("tickets", "工单", _field("tickets")),
        Column("answer_rate", "接通率", _field("answer_rate"), percent=True),
        Column("sla_rate", "首响达标率", _field("sla_rate"), percent=True),
        Column("wait_p50", "排队等待中位数（秒）", _field("wait_p50")),
        Column("handle_seconds_average", "平均处理时长（秒）", _field("handle_seconds_average")),
        Column("csat", "满意度", _csat("average")),
        Column("csat_count", "评价数", _csat("count")),
    ],
    "agents": [
        Column("agent_id", "客服编号", _field("agent_id")),
        Column("username", "账号", _field("username")),
        Column("display_name", "姓名", _field("display_name")),
        Column("tickets", "工单", _field("tickets")),
        Column("handle_seconds_average", "平均处理时长（秒）", _field("handle_seconds_average")),
        Column("transfers_out", "转出", _field("transfers_out")),
        Column("fcr_rate", "首次解决率", _field("fcr_rate"), percent=True),
        Column("csat", "满意度", _csat("average")),
        Column("csat_count", "评价数", _csat("count")),
    ],
}
ROWS = {"daily": "days", "queues": "queues", "agents": "agents"}


def table(view: str, data: dict[str, Any]) -> tuple[list[Column], list[list[Any]]]:
    """The columns of `view` and its rows, from the API's answer for it."""
    columns = COLUMNS[view]
    return columns, [[c.read(row) for c in columns] for row in data[ROWS[view]]]


def to_csv(view: str, data: dict[str, Any]) -> bytes:
    columns, rows = table(view, data)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(view: str, data: dict[str, Any], title: str) -> bytes:
    columns, rows = table(view, data)
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = title[:31]  # Excel's limit
    sheet.append([c.header for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for index, column in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, len(column.header) + 4)
        if column.percent:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "0.0%"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
