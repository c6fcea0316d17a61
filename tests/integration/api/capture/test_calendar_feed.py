"""The calendar feed: due tasks as iCalendar at a secret URL that revoking (or re-issuing) ends."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar

from tests.integration.api.board_helpers import create_board
from tests.integration.api.conftest import ApiHarness


async def test_the_feed_lists_due_tasks_and_dies_when_revoked(api: ApiHarness) -> None:
    me = await api.make_user()
    await create_board(api, me)
    for text in ("Dentist tomorrow 9am ~45m", "Taxes dec 24", "No date here"):
        assert (await api.client.post("/capture", json={"text": text}, headers=me)).status_code == 201
    issued = await api.client.post("/calendar-feed", headers=me)
    assert issued.status_code == 201 and issued.headers["Cache-Control"] == "no-store"
    path = issued.json()["url"].split("/api/v1", 1)[1]
    feed = await api.client.get(path)  # no credentials: the URL is the secret
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    events = {str(e["summary"]): e for e in Calendar.from_ical(feed.content).walk("VEVENT")}
    assert set(events) == {"Dentist", "Taxes"}
    assert events["Dentist"].decoded("dtend") - events["Dentist"].decoded("dtstart") == timedelta(minutes=45)
    assert not hasattr(events["Taxes"].decoded("dtstart"), "hour")  # a date without a time is all-day
    assert (await api.client.get("/calendar-feed", headers=me)).json()["active"] is True
    again = await api.client.post("/calendar-feed", headers=me)
    assert (await api.client.get(path)).status_code == 404  # re-issuing ends the old URL
    assert (await api.client.delete("/calendar-feed", headers=me)).status_code == 204
    assert (await api.client.get(again.json()["url"].split("/api/v1", 1)[1])).status_code == 404
    assert (await api.client.get("/calendar-feed", headers=me)).json()["active"] is False
