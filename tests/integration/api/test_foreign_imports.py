"""Imports from the tools people leave: a Trello board export, a Kanboard task CSV, a CSV with a mapping.

The files are written here in the shape those tools document; every field an import claims to
carry is checked through the API, and so is the report of what it could not carry.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from tests.integration.api.conftest import ApiHarness

BOARD_ID = "5f1a2b3c4d5e6f7a8b9c0d1e"


def _tid(seconds: int, n: int) -> str:
    """A Trello-style id: 8 hex digits of creation time, then 16 more."""
    return f"{seconds:08x}{n:016x}"


CREATED = 1_600_000_000  # 2020-09-13T12:26:40Z


def trello_export() -> dict[str, Any]:
    lists = [
        {"id": _tid(CREATED, 1), "name": "To Do", "closed": False, "pos": 16384, "idBoard": BOARD_ID},
        {"id": _tid(CREATED, 3), "name": "Done", "closed": False, "pos": 65536, "idBoard": BOARD_ID},
        {"id": _tid(CREATED, 2), "name": "Doing", "closed": False, "pos": 32768, "idBoard": BOARD_ID},
        {"id": _tid(CREATED, 4), "name": "Old stuff", "closed": True, "pos": 99999, "idBoard": BOARD_ID},
    ]
    labels = [
        {"id": _tid(CREATED, 10), "idBoard": BOARD_ID, "name": "Urgent", "color": "red"},
        {"id": _tid(CREATED, 11), "idBoard": BOARD_ID, "name": "", "color": "green"},
    ]
    card = {
        "badges": {"attachments": 2, "checkItems": 3, "checkItemsChecked": 1, "comments": 1},
        "checkItemStates": [], "closed": False, "dueComplete": False, "idBoard": BOARD_ID, "idMembers": ["m1"],
        "idShort": 1, "manualCoverAttachment": False, "start": None, "subscribed": False,
    }  # fmt: skip
    cards = [
        card | {"id": _tid(CREATED + 60, 20), "name": "Write the report", "desc": "Two pages\n\n- intro",
                "idList": lists[0]["id"], "pos": 2000, "due": "2030-01-15T17:00:00.000Z",
                "dateLastActivity": "2021-03-04T05:06:07.890Z", "idLabels": [labels[0]["id"], labels[1]["id"]],
                "labels": labels, "idChecklists": [_tid(CREATED, 30), _tid(CREATED, 31)],
                "url": "https://trello.com/c/abc/1-write-the-report", "shortUrl": "https://trello.com/c/abc"},
        card | {"id": _tid(CREATED + 120, 21), "name": "Buy paper", "desc": "", "idList": lists[0]["id"],
                "pos": 1000, "due": None, "dateLastActivity": "2021-03-05T00:00:00.000Z", "idLabels": [],
                "labels": [], "idChecklists": [], "idMembers": [], "badges": {}, "dueComplete": True},
        card | {"id": _tid(CREATED + 180, 22), "name": "Ship it", "desc": "", "idList": lists[1]["id"], "pos": 1,
                "due": None, "dateLastActivity": "2021-04-01T10:00:00.000Z", "idLabels": [labels[0]["id"]],
                "labels": [labels[0]], "idChecklists": [], "idMembers": [], "badges": {}},
        card | {"id": _tid(CREATED + 240, 23), "name": "Archived card", "desc": "gone", "idList": lists[2]["id"],
                "pos": 1, "closed": True, "due": None, "dateLastActivity": "2021-02-01T00:00:00.000Z",
                "idLabels": [], "labels": [], "idChecklists": [], "idMembers": [], "badges": {}},
        card | {"id": _tid(CREATED + 300, 24), "name": "In an archived list", "desc": "", "idList": lists[3]["id"],
                "pos": 1, "due": None, "dateLastActivity": "2021-02-02T00:00:00.000Z", "idLabels": [],
                "labels": [], "idChecklists": [], "idMembers": [], "badges": {}},
    ]  # fmt: skip
    checklists = [
        {"id": _tid(CREATED, 31), "name": "Later", "idCard": cards[0]["id"], "idBoard": BOARD_ID, "pos": 32768,
         "checkItems": [{"id": "i3", "name": "Send it", "state": "incomplete", "pos": 1}]},
        {"id": _tid(CREATED, 30), "name": "First", "idCard": cards[0]["id"], "idBoard": BOARD_ID, "pos": 16384,
         "checkItems": [{"id": "i2", "name": "Draft", "state": "incomplete", "pos": 200},
                        {"id": "i1", "name": "Outline", "state": "complete", "pos": 100}]},
    ]  # fmt: skip
    return {
        "id": BOARD_ID, "name": "Side project", "desc": "Things for the weekend", "closed": False,
        "url": "https://trello.com/b/xyz/side-project", "prefs": {"background": "blue"},
        "labelNames": {"red": "Urgent", "green": ""}, "lists": lists, "cards": cards, "labels": labels,
        "checklists": checklists, "members": [{"id": "m1", "fullName": "Ann", "username": "ann"}],
        "actions": [{"id": "a1", "type": "commentCard", "data": {"text": "nice", "card": {"id": cards[0]["id"]}},
                     "date": "2021-03-04T05:06:07.890Z"},
                    {"id": "a2", "type": "createCard", "data": {"card": {"id": cards[0]["id"]}}}],
    }  # fmt: skip


async def _import(api: ApiHarness, me: dict[str, str], body: bytes, **params: str) -> dict[str, Any]:
    response = await api.client.post("/imports", content=body, params=params, headers=me)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def _board(api: ApiHarness, me: dict[str, str], board_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    board = (await api.client.get(f"/boards/{board_id}", headers=me)).json()
    tasks = {t["title"]: t | {"column": c["name"]} for c in board["columns"] for t in c["tasks"]}
    return board, tasks


async def _checklist(api: ApiHarness, me: dict[str, str], task_id: str) -> list[tuple[str, bool]]:
    items = (await api.client.get(f"/tasks/{task_id}/checklist", headers=me)).json()["items"]
    return [(i["title"], i["isDone"]) for i in items]


async def test_a_trello_board_becomes_a_board_with_everything_it_claims(api: ApiHarness) -> None:
    me = await api.make_user()
    report = await _import(api, me, json.dumps(trello_export()).encode(), format="trello")
    board, tasks = await _board(api, me, report["boards"][0]["id"])
    assert (board["name"], board["description"]) == ("Side project", "Things for the weekend")
    assert [(c["name"], c["type"]) for c in board["columns"]] == [
        ("To Do", "INPUT"), ("Doing", "CONTEXT"), ("Done", "DONE"), ("Archive", "ARCHIVE"),
    ]  # fmt: skip
    assert [t["title"] for t in board["columns"][0]["tasks"]] == ["Buy paper", "Write the report"]  # by pos
    report_task = tasks["Write the report"]
    assert report_task["description"] == "Two pages\n\n- intro"
    assert report_task["dueAt"] == "2030-01-15T17:00:00Z"
    assert report_task["createdAt"] == "2020-09-13T12:27:40Z"  # from the card id
    assert report_task["updatedAt"] == "2021-03-04T05:06:07.890000Z"
    assert report_task["metadata"] == {
        "trello": {"id": _tid(CREATED + 60, 20), "url": "https://trello.com/c/abc/1-write-the-report",
                   "shortUrl": "https://trello.com/c/abc"}
    }  # fmt: skip
    assert report_task["source"] == "import"
    assert sorted((t["name"], t["color"]) for t in report_task["tags"]) == [("Urgent", "#eb5a46"), ("green", "#61bd4f")]
    assert await _checklist(api, me, report_task["id"]) == [("Outline", True), ("Draft", False), ("Send it", False)]
    assert (tasks["Ship it"]["column"], tasks["Ship it"]["isDone"]) == ("Done", True)
    assert tasks["Ship it"]["completedAt"] == "2021-04-01T10:00:00Z"
    assert tasks["Archived card"]["column"] == "Archive" and tasks["Archived card"]["description"] == "gone"
    assert tasks["In an archived list"]["column"] == "Archive"
    tags = (await api.client.get(f"/boards/{board['id']}/tags", headers=me)).json()
    assert [t["name"] for t in tags] == ["green", "Urgent"]  # the API lists them ignoring case
    history = (await api.client.get(f"/tasks/{tasks['Ship it']['id']}/events", headers=me)).json()["items"]
    assert [(e["type"], e["createdAt"]) for e in history] == [
        ("completed", "2021-04-01T10:00:00Z"), ("created", "2020-09-13T12:29:40Z"),
    ]  # fmt: skip
    not_carried = "\n".join(report["notCarried"])
    for expected in (
        "comments: 1",
        "card members: 1",
        "attachments: 2",
        "board members: 1",
        "checklist names (their items are kept, as one checklist per task): 2",
        "marked complete",
    ):
        assert expected in not_carried, (expected, report["notCarried"])  # fmt: skip


def kanboard_csv() -> bytes:
    headers = ["Task Id", "Project", "Status", "Category", "Swimlane", "Column", "Position", "Color", "Due date",
               "Creator", "Assignee Username", "Assignee Name", "Complexity", "Title", "Creation date",
               "Modification date", "Completion date", "Start date", "Time estimated", "Time spent", "Reference"]  # fmt: skip
    rows = [
        ["12", "Website", "Open", "Design", "Default swimlane", "Backlog", "2", "Yellow", "03/15/2031", "admin",
         "", "", "0", "Pick colours", "01/02/2024 10:30", "01/05/2024 08:00", "", "", "1.5", "0", "WEB-12"],
        ["13", "Website", "Open", "", "Default swimlane", "Backlog", "1", "Yellow", "", "admin", "bob", "Bob",
         "3", "Write copy", "01/03/2024 09:00", "01/03/2024 09:00", "", "", "0", "2", ""],
        ["14", "Website", "Closed", "Design", "Mobile", "Work in progress", "1", "Red", "", "admin", "", "",
         "0", "Draw the logo", "12/20/2023 12:00", "01/04/2024 16:00", "01/04/2024 16:00", "", "", "", ""],
        ["15", "Website", "Open", "", "Default swimlane", "Done", "1", "Yellow", "", "admin", "", "", "0",
         "Buy the domain", "12/01/2023 08:00", "12/02/2023 08:00", "12/02/2023 08:00", "", "", "", ""],
    ]  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode()


async def test_a_kanboard_task_export_becomes_a_board(api: ApiHarness) -> None:
    me = await api.make_user()
    report = await _import(api, me, kanboard_csv(), format="kanboard")
    board, tasks = await _board(api, me, report["boards"][0]["id"])
    assert board["name"] == "Website"
    assert [(c["name"], c["type"]) for c in board["columns"]] == [
        ("Backlog", "INPUT"), ("Work in progress", "CONTEXT"), ("Done", "DONE"),
    ]  # fmt: skip
    assert [t["title"] for t in board["columns"][0]["tasks"]] == ["Write copy", "Pick colours"]  # by Position
    colours = tasks["Pick colours"]
    assert colours["dueAt"] == "2031-03-15T00:00:00Z"
    assert (colours["createdAt"], colours["updatedAt"]) == ("2024-01-02T10:30:00Z", "2024-01-05T08:00:00Z")
    assert colours["durationMinutes"] == 90
    assert [t["name"] for t in colours["tags"]] == ["Design"]
    assert colours["metadata"] == {"kanboard": {"taskId": "12", "reference": "WEB-12"}}
    logo = tasks["Draw the logo"]
    assert (logo["column"], logo["isDone"], logo["completedAt"]) == ("Done", True, "2024-01-04T16:00:00Z")
    assert tasks["Buy the domain"]["isDone"] is True
    assert tasks["Write copy"]["tags"] == [] and tasks["Write copy"]["durationMinutes"] is None
    not_carried = "\n".join(report["notCarried"])
    for expected in (
        "closed tasks moved to the Done column",
        "assignees",
        "complexity scores",
        "swimlanes",
        "time spent: 1",
    ):
        assert expected in not_carried, (expected, report["notCarried"])  # fmt: skip


async def test_a_csv_with_a_mapping_and_what_it_cannot_carry(api: ApiHarness) -> None:
    me = await api.make_user()
    body = (
        b"Name,State,Labels,Deadline,Importance,Steps,Notes,Owner\n"
        b"Fix the bike,Next,errand;outdoor,2031-06-01,high,pump tyres;oil chain,Before summer,me\n"
        b"Read a book,,,,,,,\n"
        b"Old task,Done,,,urgent!,,,\n"
        b",Next,,,,,,\n"
    )
    mapping = {"title": "Name", "column": "State", "tags": "Labels", "due": "Deadline", "priority": "Importance",
               "checklist": "Steps", "description": "Notes"}  # fmt: skip
    report = await _import(api, me, body, format="csv", mapping=json.dumps(mapping))
    board, tasks = await _board(api, me, report["boards"][0]["id"])
    assert [(c["name"], c["type"]) for c in board["columns"]] == [
        ("Inbox", "INPUT"),
        ("Next", "CONTEXT"),
        ("Done", "DONE"),
    ]
    bike = tasks["Fix the bike"]
    assert (bike["column"], bike["priority"], bike["dueAt"], bike["description"]) == (
        "Next",
        "HIGH",
        "2031-06-01T00:00:00Z",
        "Before summer",
    )
    assert sorted(t["name"] for t in bike["tags"]) == ["errand", "outdoor"]
    assert await _checklist(api, me, bike["id"]) == [("pump tyres", False), ("oil chain", False)]
    assert tasks["Read a book"]["column"] == "Inbox"
    assert tasks["Old task"]["isDone"] is True and tasks["Old task"]["priority"] is None
    assert set(report["notCarried"]) == {
        "rows without a title: 1", "priority values that are not one of LOW, MEDIUM, HIGH: 1",
        "the CSV column 'Owner' (not in the mapping): 1",
    }  # fmt: skip

    again = await api.client.post(
        "/imports", content=body, params={"format": "csv", "mapping": json.dumps(mapping)}, headers=me
    )
    assert again.status_code == 200 and again.json()["alreadyImported"] is True
    bad = await api.client.post(
        "/imports", content=body, params={"format": "csv", "mapping": '{"title": "Nom"}'}, headers=me
    )
    assert bad.status_code == 422 and bad.json()["field"] == "mapping" and "Nom" in bad.json()["detail"]
    nothing = await api.client.post("/imports", content=body, params={"format": "csv"}, headers=me)
    assert nothing.status_code == 422 and nothing.json()["field"] == "mapping"


async def test_files_of_the_wrong_shape_are_named(api: ApiHarness) -> None:
    me = await api.make_user()
    for body, fmt in [(b"{}", "trello"), (b"a,b\n1,2\n", "kanboard"), (b"\xff\xfe", "kanboard")]:
        response = await api.client.post("/imports", content=body, params={"format": fmt}, headers=me)
        assert response.status_code == 422, (fmt, response.text)
        assert response.json()["field"] == "body"
    assert (await api.client.get("/boards", headers=me)).json() == []
