"""A goal an administrator sets in Usuarios shows on the Tablero and on that seller's Mi agenda."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import new_tab, screenshot, sign_in, wait_for_app

SELLER_2 = "vendedor2@escala.demo"


def goal_form(page):
    return page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Guardar meta"))


def pick(page, form, label: str, option: str) -> None:
    """Choose ``option`` in the form's select box ``label``, typing to find it."""
    form.get_by_role("combobox", name=label).click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).click()


def test_a_goal_set_by_an_admin_shows_on_the_tablero_and_the_sellers_agenda(browser, app_url):
    with new_tab(browser) as seller:
        seller.goto(app_url)
        sign_in(seller, SELLER_2)
        expect(seller.get_by_role("heading", name="Mi agenda")).to_be_visible()
        name = seller.get_by_test_id("stSidebar").locator("strong").first.inner_text()
        expect(seller.get_by_test_id("stProgress")).to_have_count(0)  # no goal yet

        with new_tab(browser) as admin:
            admin.goto(f"{app_url}/usuarios")
            sign_in(admin, "admin@escala.demo")
            expect(admin.get_by_role("heading", name="Metas")).to_be_visible()
            wait_for_app(admin)
            form = goal_form(admin)
            pick(admin, form, "Usuario", name)
            pick(admin, form, "Meta", "Tareas")
            form.get_by_label("Cantidad a realizar").fill("5")
            form.get_by_role("button", name="Guardar meta").click()
            expect(admin.get_by_text(f"Meta guardada: {name}")).to_be_visible()
            screenshot(admin, "metas-usuarios")
            try:
                admin.get_by_test_id("stSidebarNav").get_by_role("link", name="Tablero").click()
                expect(admin.get_by_role("heading", name="Tablero")).to_be_visible()
                goals = admin.get_by_test_id("stExpander").filter(has_text="Metas del periodo")
                expect(goals.locator(".js-plotly-plot")).to_be_visible()
                expect(goals.get_by_text(f"{name} · Tareas (esta semana)").first).to_be_visible()
                wait_for_app(admin)
                screenshot(admin, "metas-tablero")

                seller.reload()
                expect(seller.get_by_text("Tareas esta semana: ")).to_be_visible()
                expect(seller.get_by_test_id("stProgress").get_by_text(" de 5", exact=False)).to_be_visible()
                screenshot(seller, "metas-agenda")
            finally:  # the other browser tests count the Tablero's charts: leave no goal behind
                admin.goto(f"{app_url}/usuarios")
                wait_for_app(admin)
                form = goal_form(admin)
                pick(admin, form, "Usuario", name)
                pick(admin, form, "Meta", "Tareas")
                form.get_by_role("button", name="Quitar meta").click()
                expect(admin.get_by_text(f"Meta quitada: {name}")).to_be_visible()
