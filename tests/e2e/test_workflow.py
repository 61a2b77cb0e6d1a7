"""The rep's day in a real browser: Contactos -> profile -> the + popups -> the lists."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from escala.domain import next_business_day
from tests.e2e.conftest import CONTACT_IDS, OTHER_SELLER_CONTACT, check, screenshot, wait_for_app

SEGMENTS = (("day", "%d"), ("month", "%m"), ("year", "%Y"), ("hour", "%H"), ("minute", "%M"))


def open_contact(page, name: str) -> None:
    wait_for_app(page)  # a nav link clicked while the page is still connecting was lost (CI)
    page.get_by_role("link", name="Contactos").first.click()
    expect(page.get_by_role("heading", name="Contactos")).to_be_visible()
    page.get_by_label("Buscar").fill(name)
    page.get_by_label("Buscar").press("Enter")
    # the list redrawn for the search (each test contact's name is unique): a click on the
    # previous list's link, while it is being replaced, was lost (CI, twice)
    expect(page.get_by_text("1 contacto", exact=True)).to_be_visible()
    link = page.get_by_role("link", name=name, exact=True)
    expect(link).to_have_count(1)
    wait_for_app(page)
    link.click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    wait_for_app(page)


def open_popup(page, key: str, title: str):
    # a button with help is drawn twice, with its tooltip and without (on a phone): the one shown
    page.locator(f".st-key-{key} button").filter(visible=True).first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name=title)).to_be_visible()
    wait_for_app(page)
    return dialog


def set_datetime(dialog, label: str, moment: datetime) -> None:
    """Type into the date-time field's segments (day, month, year, hour, minute)."""
    for segment, pattern in SEGMENTS:
        dialog.get_by_role("spinbutton", name=f"{segment}, {label}").click()
        dialog.page.keyboard.type(moment.strftime(pattern))
    dialog.get_by_role("heading").first.click()  # leave the field so it commits
    wait_for_app(dialog.page)


def choose(dialog, label: str, option: str) -> None:
    """Pick ``option`` in the popup's select box ``label``. A rerun of the sidebar's reminder
    fragment (every 30 s) can close a list just opened: open it again, up to three times."""
    page = dialog.page
    wanted = page.get_by_role("option", name=option, exact=True)
    for attempt in range(3):
        if not page.get_by_role("listbox").is_visible():
            dialog.get_by_role("combobox", name=label).click()
        try:
            wanted.click(timeout=5_000 if attempt < 2 else 20_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    wait_for_app(page)


def submit(dialog, button: str, toast: str) -> None:
    """Press the popup's button; it closes and the page confirms with a toast."""
    page = dialog.page
    dialog.get_by_role("button", name=button).click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_text(toast).last).to_be_visible()  # an earlier toast alike may still be showing


def item_row(page, name: str):
    return page.get_by_test_id("stVerticalBlock").filter(has=page.get_by_text(name, exact=True)).filter(
        has=page.get_by_role("button", name="Editar")).last


def test_create_an_activity_with_every_field(seller_page):
    page = seller_page
    open_contact(page, "Contacto Actividades")
    screenshot(page, "perfil")
    dialog = open_popup(page, "nueva_actividad", "Nueva actividad")
    screenshot(page, "popup-nueva-actividad")
    dialog.get_by_label("Nombre").fill("Demo con el comité")
    choose(dialog, "Tipo", "Reunión")
    set_datetime(dialog, "Desde", datetime(2031, 5, 12, 10, 0))
    set_datetime(dialog, "Hasta", datetime(2031, 5, 12, 11, 30))
    dialog.get_by_text("Un usuario específico").click()
    wait_for_app(page)
    picker = dialog.get_by_role("combobox", name="Usuario")  # appears once the mode asks for a user
    expect(picker).to_be_visible()
    responsible = picker.input_value()
    expect(dialog.get_by_role("textbox", name="Contacto")).to_have_value("Contacto Actividades")
    expect(dialog.get_by_role("textbox", name="Contacto")).to_be_disabled()
    choose(dialog, "Oportunidad", "Oportunidad de Contacto Actividades · Propuesta")
    dialog.get_by_label("Descripción").fill("Presentar la propuesta, resolver dudas de precio.")
    dialog.get_by_text("Pendiente", exact=True).click()
    submit(dialog, "Crear", "Actividad creada")
    row = item_row(page, "Demo con el comité")
    expect(row).to_contain_text("Reunión")
    expect(row).to_contain_text("lun 12 may, 10:00 – 11:30")
    expect(row).to_contain_text("Oportunidad: Oportunidad de Contacto Actividades")
    expect(row).to_contain_text(f"Responsable: {responsible}")


def test_create_a_task(seller_page):
    page = seller_page
    open_contact(page, "Contacto Tareas")
    dialog = open_popup(page, "nueva_tarea", "Nueva tarea")
    screenshot(page, "popup-nueva-tarea")
    expect(dialog.get_by_role("combobox", name="Tipo")).to_have_count(0)  # tasks have one Fecha and no Tipo
    dialog.get_by_label("Nombre").fill("Enviar cotización firmada")
    set_datetime(dialog, "Fecha", datetime(2031, 6, 2, 9, 15))
    dialog.get_by_text("No asignar").click()
    wait_for_app(page)
    submit(dialog, "Crear", "Tarea creada")
    row = item_row(page, "Enviar cotización firmada")
    expect(row).to_contain_text("lun 2 jun, 09:15")
    expect(row).to_contain_text("Responsable: Sin asignar")


def test_invalid_input_shows_the_message_and_creates_nothing(seller_page):
    page = seller_page
    open_contact(page, "Contacto Errores")
    dialog = open_popup(page, "nueva_actividad", "Nueva actividad")
    choose(dialog, "Tipo", "Llamada")
    dialog.get_by_role("button", name="Crear").click()  # Nombre left empty
    expect(dialog.get_by_text("El nombre es obligatorio.")).to_be_visible()
    dialog.get_by_label("Nombre").fill("Llamada imposible")
    set_datetime(dialog, "Desde", datetime(2031, 5, 12, 10, 0))
    set_datetime(dialog, "Hasta", datetime(2031, 5, 11, 10, 0))
    dialog.get_by_role("button", name="Crear").click()
    expect(dialog.get_by_text("Hasta no puede ser anterior a Desde.")).to_be_visible()
    expect(dialog.get_by_label("Nombre")).to_have_value("Llamada imposible")  # what was typed stays
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.reload()
    expect(page.get_by_role("heading", name="Contacto Errores")).to_be_visible()
    expect(page.get_by_text("Aún no hay actividades con este contacto.", exact=False)).to_be_visible()
    expect(page.get_by_text("Llamada imposible")).to_have_count(0)


def add_task(page, contact: str, name: str) -> None:
    """On ``contact``'s profile, a pending task named ``name`` made through the + popup."""
    open_contact(page, contact)
    dialog = open_popup(page, "nueva_tarea", "Nueva tarea")
    dialog.get_by_label("Nombre").fill(name)
    submit(dialog, "Crear", "Tarea creada")


def test_mark_realizada_then_edit(seller_page):
    page = seller_page
    add_task(page, "Contacto Edición", "Revisar contrato")

    item_row(page, "Revisar contrato").get_by_role("button", name="Editar").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Editar tarea")).to_be_visible()
    expect(dialog.get_by_label("Nombre")).to_have_value("Revisar contrato")  # prefilled
    dialog.get_by_label("Nombre").fill("Revisar contrato con legal")
    submit(dialog, "Guardar", "Tarea guardada")
    expect(page.get_by_text("Revisar contrato con legal", exact=True)).to_be_visible()

    item_row(page, "Revisar contrato con legal").get_by_role("button", name="Realizada").click()
    expect(page.get_by_text("marcada como Realizada")).to_be_visible()
    skip_next_step(page)
    done = page.get_by_text("Realizadas (1)")
    expect(done).to_be_visible()
    done.click()
    expect(item_row(page, "Revisar contrato con legal").get_by_role("button", name="Reabrir")).to_be_visible()


def skip_next_step(page) -> None:
    """Close "¿Y ahora qué sigue?" (offered after each Realizada) without scheduling anything."""
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="¿Y ahora qué sigue?")).to_be_visible()
    wait_for_app(page)
    dialog.get_by_role("button", name="Omitir").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    wait_for_app(page)


def test_completing_an_item_offers_the_next_step_which_then_shows_in_mi_agenda(seller_page):
    page = seller_page
    open_contact(page, "Contacto Siguiente")
    dialog = open_popup(page, "nueva_actividad", "Nueva actividad")
    dialog.get_by_label("Nombre").fill("Demo del producto")
    choose(dialog, "Tipo", "Reunión")
    choose(dialog, "Oportunidad", "Oportunidad de Contacto Siguiente · Propuesta")
    submit(dialog, "Crear", "Actividad creada")

    item_row(page, "Demo del producto").get_by_role("button", name="Realizada").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="¿Y ahora qué sigue?")).to_be_visible()
    wait_for_app(page)
    expect(dialog.get_by_label("Nombre")).to_have_value("Seguimiento: Demo del producto")  # prefilled:
    expect(dialog.get_by_role("combobox", name="Tipo")).to_have_value("Reunión")  # the type,
    expect(dialog.get_by_role("combobox", name="Oportunidad")).to_have_value(  # the opportunity,
        "Oportunidad de Contacto Siguiente · Propuesta")
    monday_to_friday = next_business_day(datetime.now(ZoneInfo("America/Mexico_City")).date())  # and the day
    expect(dialog.get_by_role("spinbutton", name="day, Desde")).to_have_text(f"{monday_to_friday:%d}")
    screenshot(page, "siguiente-paso")
    submit(dialog, "Crear", "Actividad creada")
    expect(item_row(page, "Seguimiento: Demo del producto")).to_be_visible()  # pending, on the profile

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Mi agenda").click()
    expect(page.get_by_role("heading", name="Mi agenda")).to_be_visible()
    wait_for_app(page)
    page.get_by_role("tab", name=re.compile(r"^Próximos 7 días")).click()  # one business day later
    expect(page.get_by_role("tabpanel").get_by_text("Seguimiento: Demo del producto", exact=True)).to_be_visible()


def test_omitir_closes_the_next_step_and_schedules_nothing(seller_page):
    page = seller_page
    add_task(page, "Contacto Omitir", "Llamar a compras")
    item_row(page, "Llamar a compras").get_by_role("button", name="Realizada").click()
    skip_next_step(page)
    page.reload()
    expect(page.get_by_role("heading", name="Contacto Omitir")).to_be_visible()
    expect(page.get_by_text("Realizadas (1)")).to_be_visible()
    expect(page.get_by_text("Seguimiento: Llamar a compras")).to_have_count(0)


def test_a_weekly_task_done_brings_its_next_occurrence_at_the_same_local_time(seller_page):
    page = seller_page
    open_contact(page, "Contacto Repetir")
    dialog = open_popup(page, "nueva_tarea", "Nueva tarea")
    dialog.get_by_label("Nombre").fill("Reporte semanal")
    set_datetime(dialog, "Fecha", datetime(2027, 1, 5, 9, 0))  # a Tuesday
    choose(dialog, "Repetir", "Cada semana")
    expect(dialog.get_by_role("button", name="Martes")).to_have_attribute("aria-pressed", "true")  # its day
    dialog.get_by_label("Cuántas veces (contando esta)").fill("6")
    screenshot(page, "tarea-repetida")
    submit(dialog, "Crear", "Tarea creada")
    first = item_row(page, "Reporte semanal")
    expect(first).to_contain_text("mar 5 ene, 09:00")
    expect(first).to_contain_text("Cada semana: martes · 6 veces")

    first.get_by_role("button", name="Realizada").click()
    skip_next_step(page)
    expect(item_row(page, "Reporte semanal")).to_contain_text("mar 12 ene, 09:00")  # the next, a week on
    expect(page.get_by_text("Realizadas (1)")).to_be_visible()


def test_quick_add_from_mi_agenda_offers_only_the_sellers_contacts(seller_page):
    page = seller_page
    wait_for_app(page)
    page.locator(".st-key-nueva_agenda").get_by_role("button", name="Nueva").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Nueva actividad o tarea")).to_be_visible()
    wait_for_app(page)
    check(dialog.get_by_role("radio", name="Tarea"))
    wait_for_app(page)
    picker = dialog.get_by_role("combobox", name="Contacto")
    picker.click()
    page.keyboard.type("Otro Vendedor")  # another seller's contact: not offered
    expect(page.get_by_role("option", name=OTHER_SELLER_CONTACT)).to_have_count(0)
    picker.fill("")
    page.keyboard.type("Rápido")
    page.get_by_role("option", name="Contacto Rápido", exact=True).click()
    wait_for_app(page)
    dialog.get_by_label("Nombre").fill("Preparar demo desde la agenda")
    screenshot(page, "nueva-rapida")
    submit(dialog, "Crear", "Tarea creada")
    page.get_by_role("tab", name=re.compile(r"^Próximos 7 días")).click()  # tomorrow at 09:00, the default
    expect(page.get_by_role("tabpanel").get_by_text("Preparar demo desde la agenda", exact=True)).to_be_visible()
    open_contact(page, "Contacto Rápido")
    expect(item_row(page, "Preparar demo desde la agenda")).to_be_visible()


def test_historial_lists_the_changes_and_deshacer_brings_a_deleted_item_back(seller_page):
    page = seller_page
    add_task(page, "Contacto Historial", "Cotizar licencias")
    item_row(page, "Cotizar licencias").get_by_role("button", name="Editar").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Nombre").fill("Cotizar licencias anuales")
    submit(dialog, "Guardar", "Tarea guardada")
    item_row(page, "Cotizar licencias anuales").get_by_role("button", name="Historial").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Historial de «Cotizar licencias anuales»")).to_be_visible()
    expect(dialog.get_by_text("Nombre: «Cotizar licencias» → «Cotizar licencias anuales»")).to_be_visible()
    expect(dialog.get_by_text("Juan García Martínez").first).to_be_visible()
    screenshot(page, "historial")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)

    row = item_row(page, "Cotizar licencias anuales")
    row.get_by_role("button", name="Eliminar").click()
    page.get_by_role("button", name="Sí, eliminar").click()
    expect(page.get_by_text("Eliminaste «Cotizar licencias anuales».")).to_be_visible()
    expect(page.get_by_text("Cotizar licencias anuales", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Deshacer").click()
    expect(page.get_by_text("«Cotizar licencias anuales» restaurada")).to_be_visible()
    expect(item_row(page, "Cotizar licencias anuales")).to_be_visible()


def test_another_sellers_contact_by_url_is_not_found(seller_page, app_url):
    page = seller_page
    page.goto(f"{app_url}/contactos?contacto={CONTACT_IDS[OTHER_SELLER_CONTACT]}")
    expect(page.get_by_text("Contacto no encontrado")).to_be_visible()
    expect(page.get_by_text(OTHER_SELLER_CONTACT)).to_have_count(0)
    expect(page.get_by_role("heading", name="Actividades")).to_have_count(0)


def test_mi_agenda_lists_the_sellers_work(seller_page):
    page = seller_page
    expect(page.get_by_role("tab", name="Vencidas", exact=False)).to_be_visible()
    expect(page.get_by_role("heading", name="Semana")).to_be_visible()
    wait_for_app(page)
    screenshot(page, "mi-agenda")
