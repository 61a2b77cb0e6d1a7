"""Calendario in a real browser: the seller's week, an entry dragged to another day, and a
click that opens the entry."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.conftest import CALENDAR_TASK, next_wednesday, screenshot, wait_for_app


def test_drag_an_entry_to_another_day_then_open_it(seller_page):
    page = seller_page
    wait_for_app(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Calendario").click()
    expect(page.get_by_role("heading", name="Calendario")).to_be_visible()
    wait_for_app(page)
    page.get_by_role("button", name="Siguiente").click()  # next week: the seeded task's
    wait_for_app(page)
    frame = page.frame_locator("iframe[title='streamlit_calendar.calendar']")
    entry = frame.locator(".fc-event", has_text=CALENDAR_TASK)
    expect(entry).to_be_visible()
    day = next_wednesday(datetime.now(ZoneInfo("America/Mexico_City")).date())  # the seller's zone
    wednesday = frame.locator(f'td.fc-timegrid-col[data-date="{day.isoformat()}"]')
    thursday = frame.locator(f'td.fc-timegrid-col[data-date="{(day + timedelta(days=1)).isoformat()}"]')
    expect(wednesday.locator(".fc-event", has_text=CALENDAR_TASK)).to_have_count(1)
    screenshot(page, "calendario")

    start, target = entry.bounding_box(), thursday.bounding_box()
    x, y = start["x"] + start["width"] / 2, start["y"] + 8
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):  # FullCalendar starts a drag after a few pixels of movement
        page.mouse.move(x + (target["x"] + target["width"] / 2 - x) * step / 10, y, steps=2)
    page.mouse.up()
    expect(page.get_by_text(f"«{CALENDAR_TASK}", exact=False).first).to_be_visible()
    expect(page.get_by_text("movida al", exact=False).first).to_be_visible()
    wait_for_app(page)
    frame = page.frame_locator("iframe[title='streamlit_calendar.calendar']")
    moved = frame.locator(f'td.fc-timegrid-col[data-date="{(day + timedelta(days=1)).isoformat()}"]').locator(
        ".fc-event", has_text=CALENDAR_TASK)
    expect(moved).to_have_count(1)  # drawn again from the store: on Thursday now
    expect(moved).to_contain_text("10:00")  # at the same time of day

    moved.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Editar tarea")).to_be_visible()
    expect(dialog.get_by_label("Nombre")).to_have_value(CALENDAR_TASK)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
