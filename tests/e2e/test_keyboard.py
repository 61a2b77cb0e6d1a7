"""Keyboard only (no mouse): a seller signs in, opens a contact, presses "+", fills every field
of the activity popup, saves with Enter, closes the popup with Escape, marks the item Realizada
and reaches the Tablero's filters. Focus is visible at every stop (the focused control looks
different from when focus has moved on) and goes back to the "+" when the popup closes."""

from __future__ import annotations

from datetime import datetime

from playwright.sync_api import expect

from tests.e2e.conftest import new_tab, screenshot, wait_for_app
from tests.e2e.test_workflow import SEGMENTS

CONTACT = "Contacto Teclado"
FOCUSED_RECT = """() => { const e = document.activeElement; const r = e.getBoundingClientRect();
  return {what: e.outerHTML.slice(0, 120), x: r.x - 4, y: r.y - 4, width: r.width + 8, height: r.height + 8, scroll: [scrollX, scrollY,
          ...[...document.querySelectorAll('[data-testid=stMain], [data-testid=stSidebarContent], [role=dialog] *')]
             .filter(n => n.scrollTop).map(n => n.scrollTop)]}; }"""


def _box(rect: dict) -> dict:
    return {k: rect[k] for k in ("x", "y", "width", "height")}


class Keyboard:
    """Tab through the page to a control; checks on the way that each stop shows its focus."""

    def __init__(self, page):
        self.page = page
        self.last = None  # (clip, the clip's pixels while focused)
        self.stops = 0

    def _look(self):
        rect = self.page.evaluate(FOCUSED_RECT)
        clip = {k: rect[k] for k in ("x", "y", "width", "height", "what")}
        if self.last and self.last[0]["scroll"] == rect["scroll"]:  # nothing moved: the old stop, unfocused now
            before, focused = self.last
            if before["width"] > 8 and before["height"] > 8 and before["x"] >= 0 and before["y"] >= 0:
                unfocused = self.page.screenshot(clip=_box(before), animations="disabled")
                if unfocused == focused:
                    screenshot(self.page, "teclado-sin-foco")
                assert unfocused != focused, f"focus not visible at stop {self.stops}: {before}"
        shot = self.page.screenshot(clip=_box(clip), animations="disabled") if clip["width"] > 8 and clip["height"] > 8 and clip["x"] >= 0 \
            and clip["y"] >= 0 else None
        self.last = ({**clip, "scroll": rect["scroll"]}, shot) if shot else None
        self.stops += 1

    def tab_to(self, target, backwards: bool = False, limit: int = 60) -> None:
        target = target.filter(visible=True).first
        for _ in range(limit):
            self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
            self._look()
            if target.evaluate("e => e === document.activeElement || e.contains(document.activeElement)"):
                return
        raise AssertionError(f"{target} not reached in {limit} key presses")

    def press(self, *keys: str) -> None:
        for key in keys:
            self.page.keyboard.press(key)
        self.last = None  # the page may change: compare from the next stop on

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.last = None

    def pick(self, combobox, option: str) -> None:
        """A select box: open it with the arrow key, type to narrow, Enter to choose."""
        self.tab_to(combobox)
        self.press("ArrowDown")
        expect(self.page.get_by_role("listbox")).to_be_visible()
        self.type(option)
        expect(self.page.get_by_role("option", name=option, exact=True)).to_be_visible()
        self.press("Enter")
        expect(self.page.get_by_role("listbox")).to_have_count(0)


def focused(locator) -> bool:
    return locator.filter(visible=True).first.evaluate("e => e === document.activeElement")


def test_a_seller_works_with_the_keyboard_alone(browser, app_url):
    with new_tab(browser) as page:
        keys = Keyboard(page)
        page.goto(app_url)
        expect(page.get_by_label("Correo electrónico")).to_be_focused()
        keys.type("vendedor1@escala.demo")
        keys.press("Tab")
        keys.type("escala-demo")
        keys.press("Enter")
        expect(page.get_by_role("heading", name="Mi agenda")).to_be_visible()
        wait_for_app(page)

        nav = page.get_by_test_id("stSidebarNav")
        keys.tab_to(nav.get_by_role("link", name="Contactos"))
        keys.press("Enter")
        expect(page.get_by_role("heading", name="Contactos")).to_be_visible()
        wait_for_app(page)
        keys.tab_to(page.get_by_role("textbox", name="Buscar"))
        keys.type(CONTACT)
        keys.press("Enter")
        expect(page.get_by_text("1 contacto", exact=True)).to_be_visible()
        wait_for_app(page)
        keys.tab_to(page.get_by_role("link", name=CONTACT, exact=True))
        keys.press("Enter")
        expect(page.get_by_role("heading", name=CONTACT)).to_be_visible()
        wait_for_app(page)

        plus = page.locator(".st-key-nueva_actividad button")
        keys.tab_to(plus)
        keys.press("Enter")
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_role("heading", name="Nueva actividad")).to_be_visible()
        wait_for_app(page)
        keys.tab_to(dialog.get_by_role("textbox", name="Nombre"))
        keys.type("Llamada sin ratón")
        keys.pick(dialog.get_by_role("combobox", name="Tipo"), "Llamada")
        for label, moment in (("Desde", datetime(2027, 3, 9, 10, 30)), ("Hasta", datetime(2027, 3, 9, 11, 15))):
            keys.tab_to(dialog.get_by_role("spinbutton", name=f"day, {label}"))
            for number, (segment, pattern) in enumerate(SEGMENTS):
                if number:
                    keys.tab_to(dialog.get_by_role("spinbutton", name=f"{segment}, {label}"))
                keys.type(moment.strftime(pattern))
        keys.pick(dialog.get_by_role("combobox", name="Repetir"), "No se repite")
        keys.pick(dialog.get_by_role("combobox", name="Recordatorio"), "1 hora antes")
        keys.tab_to(dialog.get_by_role("radio", name="Dueño del contacto"))
        keys.press("ArrowRight")  # Un usuario específico
        expect(dialog.get_by_role("radio", name="Un usuario específico")).to_be_checked()
        wait_for_app(page)
        keys.pick(dialog.get_by_role("combobox", name="Usuario"), "Juan García Martínez")
        keys.pick(dialog.get_by_role("combobox", name="Oportunidad"), f"Oportunidad de {CONTACT} · Propuesta")
        keys.tab_to(dialog.get_by_role("textbox", name="Descripción"))
        keys.type("Acordada por teléfono.")
        keys.tab_to(dialog.get_by_role("radio", name="Pendiente"))
        expect(dialog.get_by_role("radio", name="Pendiente")).to_be_checked()
        screenshot(page, "teclado-popup")
        keys.tab_to(dialog.get_by_role("button", name="Crear"))
        keys.press("Enter")
        expect(page.get_by_role("dialog")).to_have_count(0)
        expect(page.get_by_text("Actividad creada").last).to_be_visible()
        expect(page.get_by_text("Llamada sin ratón", exact=True)).to_be_visible()
        wait_for_app(page)
        assert focused(plus), "focus did not return to the + after saving"

        keys.press("Enter")  # the + again: the popup opens, and Escape closes it
        expect(dialog.get_by_role("heading", name="Nueva actividad")).to_be_visible()
        wait_for_app(page)
        keys.press("Escape")
        expect(page.get_by_role("dialog")).to_have_count(0)
        wait_for_app(page)
        assert focused(plus), "focus did not return to the + after Escape"

        row = page.get_by_test_id("stVerticalBlock").filter(has=page.get_by_text("Llamada sin ratón", exact=True)).filter(
            has=page.get_by_role("button", name="Editar")).last
        expect(row).to_contain_text("mar 9 mar, 10:30 – 11:15")
        expect(row).to_contain_text("Oportunidad: Oportunidad de Contacto Teclado")
        keys.tab_to(row.get_by_role("button", name="Realizada"))
        keys.press("Enter")
        expect(dialog.get_by_role("heading", name="¿Y ahora qué sigue?")).to_be_visible()  # the next step, offered
        wait_for_app(page)
        keys.press("Escape")
        expect(page.get_by_role("dialog")).to_have_count(0)
        expect(page.get_by_text("Llamada sin ratón", exact=True)).to_have_count(0)  # folded under Realizadas
        wait_for_app(page)

        keys.tab_to(nav.get_by_role("link", name="Tablero"), backwards=True)
        keys.press("Enter")
        expect(page.get_by_role("heading", name="Tablero", exact=True)).to_be_visible()
        wait_for_app(page)
        keys.tab_to(page.get_by_role("combobox", name="Periodo (por vencimiento)"))
        keys.press("ArrowDown")
        expect(page.get_by_role("listbox")).to_be_visible()
        keys.press("Escape")
        keys.tab_to(page.get_by_role("combobox", name="Responsable"))
        assert keys.stops > 20
        screenshot(page, "teclado-tablero")
