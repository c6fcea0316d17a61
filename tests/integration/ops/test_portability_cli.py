"""`kanban export` and `kanban import` on the API database of the configuration, the account named by --email."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from kanban.cli.main import main
from kanban.db.urls import DatabaseUrl
from tests.integration.api.test_portability import SCHEMA_FILE, instance, small_board
from tests.support import settings as test_settings


async def _kanban(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_export_then_import_from_the_command_line(
    api_db: DatabaseUrl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in test_settings.test_env(api_db, None, KANBAN_DATA_DIR=str(tmp_path)).items():
        monkeypatch.setenv(key, value)
    async with instance(api_db) as api:
        me = await api.make_user("owner@example.test")
        other = await api.make_user("other@example.test")
        board_id = await small_board(api, me)
        out = tmp_path / "export.json"

        code, _, err = await _kanban(capsys, "export", "--email", "OWNER@example.test", "--out", str(out))
        assert code == 0, err
        document = json.loads(out.read_text())
        assert [b["id"] for b in document["boards"]] == [board_id] and document["scope"] == "account"

        code, printed, err = await _kanban(capsys, "import", str(out), "--email", "other@example.test")
        assert code == 0, err
        assert "imported: Rich (" in printed and "3 tasks" in printed
        [copy] = (await api.client.get("/boards", headers=other)).json()
        assert copy["name"] == "Rich" and copy["id"] != board_id
        code, printed, _ = await _kanban(capsys, "import", str(out), "--email", "other@example.test")
        assert code == 0 and "was imported before, nothing changed" in printed
        assert len((await api.client.get("/boards", headers=other)).json()) == 1

    code, _, err = await _kanban(capsys, "import", str(out), "--email", "nobody@example.test")
    assert code == 1 and err.strip() == "kanban: error: no account with the email nobody@example.test"
    (tmp_path / "bad.json").write_text("{}")
    code, _, err = await _kanban(capsys, "import", str(tmp_path / "bad.json"), "--email", "owner@example.test")
    assert code == 1 and err.startswith("kanban: error: format must be")
    code, printed, _ = await _kanban(capsys, "export", "--schema")
    assert code == 0 and json.loads(printed) == json.loads(SCHEMA_FILE.read_text())
