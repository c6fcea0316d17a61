"""One answer, two formats: JSON (the model) or CSV (its table), by ?format= or the Accept header."""

from __future__ import annotations

import csv
import io
from typing import Any, Literal, Protocol

from fastapi import Request, Response

from kanban.api.analytics.schemas import CsvTable

Format = Literal["json", "csv"]
CSV = "text/csv"


class Tabular(Protocol):
    def csv_table(self) -> CsvTable: ...

    def model_dump_json(self, *, by_alias: bool | None = None) -> str: ...


def wants_csv(request: Request, fmt: Format | None) -> bool:
    """?format wins; otherwise CSV only when the client asks for text/csv and not for JSON first."""
    if fmt is not None:
        return fmt == "csv"
    accept = request.headers.get("accept", "").lower()
    if CSV not in accept:
        return False
    json_at = accept.find("json")
    return json_at == -1 or accept.find(CSV) < json_at


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str) and (value[:1] in FORMULA_STARTS or (value[:1] == "@" and "(" in value)):
        # A title like "=HYPERLINK(...)" must stay text when the file is opened in a spreadsheet;
        # "@Phone" is a context lane, "@SUM(...)" a formula.
        return "'" + value
    return value


FORMULA_STARTS = frozenset("=+-\t\r")


def csv_text(table: CsvTable) -> str:
    head, rows = table
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(head)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return buffer.getvalue()


def respond(request: Request, fmt: Format | None, out: Tabular, name: str) -> Response:
    if wants_csv(request, fmt):
        return Response(
            csv_text(out.csv_table()),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"', "Vary": "Accept"},
        )
    return Response(out.model_dump_json(by_alias=True), media_type="application/json", headers={"Vary": "Accept"})


def csv_response_doc(description: str) -> dict[int | str, dict[str, Any]]:
    """The 200 response's second media type, for the OpenAPI document."""
    return {200: {"description": description, "content": {CSV: {"schema": {"type": "string"}}}}}
