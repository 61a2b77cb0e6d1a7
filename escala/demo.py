"""Deterministic demo and benchmark data, generated in SQL.

Everything is derived from ``hash(row, attribute, seed)`` over ``range()``, so the same
seed and anchor day give the same database, and a million items take seconds, not a
Python loop. Dates spread from five months back to six weeks ahead of ``today``: most past
work is done, some is overdue, most future work is pending.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from escala import rollups, times, transfer
from escala.auth import hash_password
from escala.db import Database
from escala.meta import set_meta

DEMO_PASSWORD = "escala-demo"
DEMO_DOMAIN = "escala.demo"

FIRST_NAMES = ["María", "José", "Ana", "Luis", "Carmen", "Juan", "Laura", "Carlos", "Sofía", "Miguel",
               "Lucía", "Javier", "Valentina", "Diego", "Fernanda", "Andrés", "Gabriela", "Ricardo",
               "Paola", "Alejandro", "Daniela", "Jorge", "Mariana", "Fernando", "Camila", "Raúl",
               "Isabel", "Héctor", "Patricia", "Óscar"]
LAST_NAMES = ["García", "Hernández", "Martínez", "López", "González", "Rodríguez", "Pérez", "Sánchez",
              "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Cruz", "Morales", "Reyes",
              "Gutiérrez", "Ortiz", "Chávez", "Ruiz", "Mendoza", "Aguilar", "Castillo", "Jiménez",
              "Vargas", "Romero", "Navarro", "Domínguez", "Salazar"]
COMPANY_PREFIXES = ["Grupo", "Comercializadora", "Servicios", "Industrias", "Distribuidora", "Consultores",
                    "Tecnología", "Logística", "Alimentos", "Constructora", "Farmacéutica", "Textiles"]
COMPANY_CORES = ["del Norte", "Azteca", "Pacífico", "Andina", "Solar", "Vértice", "Horizonte", "Cumbre",
                 "Maya", "Río Bravo", "Sierra Madre", "Atlántico", "Bajío", "Occidente", "Nova",
                 "Quetzal", "Altiplano", "Laguna", "Costa Azul", "Cordillera"]
COMPANY_SUFFIXES = ["S.A. de C.V.", "S.A.S.", "S.L.", "S.R.L."]
OPPORTUNITY_NAMES = ["Licencias anuales", "Implementación CRM", "Renovación de contrato", "Ampliación de usuarios",
                     "Consultoría de ventas", "Plan empresarial", "Capacitación del equipo", "Integración con ERP"]
ACTIVITY_NAMES = {  # by type, in the order of the activity_type enum
    "Webinar": ["Webinar: novedades del producto", "Webinar de onboarding", "Webinar: casos de éxito"],
    "Evento": ["Desayuno con clientes", "Feria comercial", "Evento de lanzamiento"],
    "Llamada": ["Llamada de seguimiento", "Llamada de descubrimiento", "Llamada para negociar precio",
                "Llamada de bienvenida"],
    "Reunión": ["Reunión de presentación", "Reunión de cierre", "Demo del producto",
                "Reunión con el comité de compras"],
    "Otro": ["Visita a oficinas", "Comida de negocios"],
}
TASK_NAMES = ["Enviar propuesta comercial", "Preparar cotización", "Actualizar etapa de la oportunidad",
              "Registrar notas de la reunión", "Enviar contrato para firma", "Solicitar datos de facturación",
              "Revisar objeciones con el equipo", "Programar seguimiento"]
DESCRIPTIONS = ["", "Confirmar asistentes y enviar la agenda un día antes.",
                "Revisar necesidades, presupuesto y tiempos de decisión.",
                "Llevar la propuesta actualizada y casos de éxito del sector.",
                "Dejar registro en el CRM de los acuerdos y siguientes pasos.", ""]


@dataclass(frozen=True)
class DemoSize:
    users: int = 10  # 1 admin, 1 analyst, the rest sellers
    contacts: int = 500
    opportunities: int | None = None  # default: 1.5 per contact
    activities: int = 5000
    tasks: int = 5000
    seed: int = 42
    today: date | None = None


def _sql_list(values: list) -> str:
    """A SQL list literal of constant strings (our own word lists, never user input)."""
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def seed(db: Database, size: DemoSize = DemoSize(), build_rollups: bool = True) -> dict:
    """Fill an empty database with demo data; returns counts and the seconds it took.
    ``build_rollups=False`` leaves the rollups to the caller (a copy to another engine builds
    its own)."""
    if size.users < 3:
        raise ValueError("Se necesitan al menos 3 usuarios (administrador, analista y un vendedor).")
    if size.contacts < 1 or min(size.activities, size.tasks) < 0:
        raise ValueError("Se necesita al menos un contacto y cantidades no negativas.")
    (existing,) = db.query_one("SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM contacts)")
    if existing:
        raise ValueError("La base de datos ya tiene datos; los datos de demostración solo se cargan en una base vacía.")
    if db.engine != "duckdb":
        return _seed_elsewhere(db, size)
    started = time.perf_counter()
    today = size.today or times.now_utc().date()
    now = datetime(today.year, today.month, today.day, tzinfo=UTC)
    now = max(now, times.now_utc()) if size.today is None else now.replace(hour=12)
    counts = {"users": size.users, "contacts": size.contacts,
              "opportunities": size.opportunities if size.opportunities is not None else size.contacts * 3 // 2,
              "activities": size.activities, "tasks": size.tasks}
    seed_value = int(size.seed)
    users, contacts, opportunities = counts["users"], counts["contacts"], counts["opportunities"]
    sellers = users - 2
    companies = max(1, contacts // 8)
    password_hash = hash_password(DEMO_PASSWORD)
    anchor = times.to_db(now)
    # Word lists and sizes below are our own constants (ints cast by int()), never user input.
    macros = f"""
        CREATE OR REPLACE TEMP MACRO rnd(n, k) AS hash(n, k, {seed_value});
        CREATE OR REPLACE TEMP MACRO pick(arr, n, k) AS arr[1 + (rnd(n, k) % len(arr))::INTEGER];
        CREATE OR REPLACE TEMP MACRO person(n, k) AS
            pick({_sql_list(FIRST_NAMES)}, n, k) || ' ' || pick({_sql_list(LAST_NAMES)}, n, k + 1)
            || ' ' || pick({_sql_list(LAST_NAMES)}, n, k + 2);
        -- users get distinct names (imports match people by name), drawn by index
        CREATE OR REPLACE TEMP MACRO unique_person(n) AS
            {_sql_list(FIRST_NAMES)}[1 + ((n + {seed_value}) % {len(FIRST_NAMES)})::INTEGER] || ' '
            || {_sql_list(LAST_NAMES)}[1 + ((n // {len(FIRST_NAMES)}) % {len(LAST_NAMES)})::INTEGER] || ' '
            || {_sql_list(LAST_NAMES)}[1 + ((n // {len(FIRST_NAMES) * len(LAST_NAMES)} + n) % {len(LAST_NAMES)})::INTEGER];
    """  # sql-ok
    with db.transaction() as cursor:
        cursor.execute(macros)
        cursor.execute(f"""
            INSERT INTO users (id, name, email, role, active, time_zone, password_hash, created_at)
            SELECT n + 1, unique_person(n),
                   CASE n WHEN 0 THEN 'admin@{DEMO_DOMAIN}' WHEN 1 THEN 'analista@{DEMO_DOMAIN}'
                          ELSE 'vendedor' || (n - 1) || '@{DEMO_DOMAIN}' END,
                   CASE n WHEN 0 THEN 'admin' WHEN 1 THEN 'analyst' ELSE 'seller' END,
                   true, ?, ?, ?::TIMESTAMP - INTERVAL 400 DAY
            FROM range({users}) t(n)""", [times.default_zone(), password_hash, anchor])  # sql-ok
        prefixes, cores, suffixes = len(COMPANY_PREFIXES), len(COMPANY_CORES), len(COMPANY_SUFFIXES)
        cursor.execute(f"""
            INSERT INTO companies
            SELECT k + 1, name, lower(name) FROM (
                SELECT k, {_sql_list(COMPANY_PREFIXES)}[1 + k % {prefixes}] || ' '
                       || {_sql_list(COMPANY_CORES)}[1 + (k // {prefixes}) % {cores}]
                       || CASE WHEN k >= {prefixes * cores * suffixes}
                               THEN ' ' || (k // {prefixes * cores * suffixes} + 1) ELSE '' END
                       || ' ' || {_sql_list(COMPANY_SUFFIXES)}[1 + (k // {prefixes * cores}) % {suffixes}] AS name
                FROM range({companies}) t(k))""")  # sql-ok
        cursor.execute(f"""
            INSERT INTO contacts
            SELECT c + 1, src.name,
                   lower(strip_accents(split_part(src.name, ' ', 1) || '.' || split_part(src.name, ' ', 2)))
                       || (c + 1) || '@' || regexp_replace(lower(strip_accents(split_part(co.name, ' S.', 1))), '[^a-z0-9]', '', 'g') || '.com.mx',
                   '+52 55 ' || lpad((rnd(c, 31) % 10000)::VARCHAR, 4, '0') || ' ' || lpad((rnd(c, 32) % 10000)::VARCHAR, 4, '0'),
                   co.id, 3 + (rnd(c, 33) % {sellers})::INTEGER,
                   created, 1, created
            FROM (SELECT c, person(c, 20) AS name, 1 + (rnd(c, 34) % {companies})::INTEGER AS company_id,
                         ?::TIMESTAMP - to_seconds((rnd(c, 35) % (300 * 86400))::BIGINT) - INTERVAL 30 DAY AS created
                  FROM range({contacts}) t(c)) src
            JOIN companies co ON co.id = src.company_id
            ORDER BY c""", [anchor])  # sql-ok
        cursor.execute(f"""
            INSERT INTO opportunities
            SELECT o + 1, pick({_sql_list(OPPORTUNITY_NAMES)}, o, 40) || ' ' || (2026 + rnd(o, 41) % 2),
                   (o % {contacts}) + 1,
                   ['Prospecto', 'Prospecto', 'Calificada', 'Calificada', 'Propuesta', 'Negociación',
                    'Ganada', 'Perdida'][1 + (rnd(o, 42) % 8)::INTEGER]::opportunity_stage,
                   round((5000 + rnd(o, 43) % 495000) / 100.0) * 100,
                   ?::TIMESTAMP - to_seconds((rnd(o, 44) % (200 * 86400))::BIGINT)
            FROM range({opportunities}) t(o)""", [anchor])  # sql-ok
        _insert_items(cursor, counts, anchor)
        cursor.execute("DELETE FROM meta WHERE key IN (?, ?)", [rollups.VERSION_KEY, rollups.SOON_KEY])  # stale until rebuilt below
        for table, count in (("users", users), ("companies", companies), ("contacts", contacts),
                             ("opportunities", opportunities), ("items", size.activities + size.tasks)):
            cursor.execute("UPDATE id_counters SET last_id = ? WHERE name = ?", [count, table])
        set_meta(cursor, {"demo": "true", "demo_seed": str(seed_value), "demo_today": today.isoformat()})
    # The rollups are derived data, built in a transaction of their own: within the one that
    # wrote tens of millions of items, those uncommitted rows left the aggregates too little
    # memory. Should this step not happen, the next Store() rebuilds them (no version stored).
    if build_rollups:
        with db.transaction() as cursor:
            rollups.rebuild(cursor)
    db.checkpoint()
    counts["seconds"] = round(time.perf_counter() - started, 2)
    return counts


def _seed_elsewhere(db, size: DemoSize) -> dict:
    """The same rows on another engine: this module's SQL is DuckDB's, so they are made in a
    scratch DuckDB file, then copied over (escala/transfer.py); the same ``seed`` gives the
    same data on every engine."""
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="escala-demo-"))
    try:
        scratch = Database(folder / "demo.duckdb")
        try:
            scratch.migrate()
            counts = seed(scratch, size, build_rollups=False)
            transfer.copy(scratch, db)  # which builds the rollups from the copied items
        finally:
            scratch.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    counts["seconds"] = round(time.perf_counter() - started, 2)
    return counts


def _insert_items(cursor, counts: dict, anchor: datetime) -> None:
    """Activities then tasks, ids 1..N, in one INSERT ... SELECT over range()."""
    contacts, opportunities = counts["contacts"], counts["opportunities"]
    activities, total = counts["activities"], counts["activities"] + counts["tasks"]
    sellers = counts["users"] - 2
    names_by_type = "[" + ", ".join(_sql_list(v) for v in ACTIVITY_NAMES.values()) + "]"
    types = _sql_list(list(ACTIVITY_NAMES))
    cursor.execute(f"""
        INSERT INTO items (id, kind, name, activity_type, starts_at, due_at, responsible_mode, responsible_id,
                           contact_id, contact_owner_id, opportunity_id, description, status, completed_at,
                           completed_by, created_at, created_by, updated_at)
        WITH base AS (
            SELECT n, n < {activities} AS is_activity,
                   1 + (rnd(n, 1) % {contacts})::INTEGER AS contact_id,
                   (rnd(n, 2) % 5)::INTEGER AS type_index,
                   -- local working hours 08:00-18:45 in Mexico City (UTC-6), day -150 .. +45
                   ?::TIMESTAMP::DATE::TIMESTAMP + to_days(((rnd(n, 3) % 196)::INTEGER - 150))
                       + to_minutes(((14 + rnd(n, 4) % 11) * 60 + (rnd(n, 5) % 4) * 15)::BIGINT) AS starts_at,
                   [30, 45, 60, 60, 90, 120][1 + (rnd(n, 6) % 6)::INTEGER] AS minutes,
                   rnd(n, 7) % 100 AS mode_roll,
                   rnd(n, 8) % 100 AS status_roll,
                   rnd(n, 9) % 100 AS opportunity_roll
            FROM range({total}) t(n)
        ), shaped AS (
            SELECT b.*, c.owner_id,
                   CASE WHEN is_activity THEN starts_at + to_minutes(minutes) ELSE starts_at END AS due_at,
                   CASE WHEN mode_roll < 70 THEN 'Dueño del contacto'
                        WHEN mode_roll < 88 THEN 'Un usuario específico' ELSE 'No asignar' END AS mode,
                   CASE WHEN contact_id <= {opportunities}
                        THEN (({opportunities} - contact_id) // {contacts} + 1) ELSE 0 END AS own_opportunities
            FROM base b JOIN contacts c ON c.id = b.contact_id
        ), timed AS (
            SELECT *,
                   starts_at - to_seconds((3600 + rnd(n, 10) % (20 * 86400))::BIGINT) AS created_raw,
                   -- most past work is done; what is still open is mostly recent
                   CASE WHEN due_at >= ?::TIMESTAMP THEN status_roll < 5
                        WHEN due_at >= ?::TIMESTAMP - INTERVAL 14 DAY THEN status_roll < 70
                        ELSE status_roll < 97 END AS done
            FROM shaped
        )
        SELECT n + 1,
               CASE WHEN is_activity THEN 'Actividad' ELSE 'Tarea' END,
               CASE WHEN is_activity THEN pick({names_by_type}[type_index + 1], n, 11)
                    ELSE pick({_sql_list(TASK_NAMES)}, n, 11) END,
               CASE WHEN is_activity THEN {types}[type_index + 1] END,
               starts_at, due_at, mode,
               CASE mode WHEN 'Dueño del contacto' THEN owner_id
                         WHEN 'Un usuario específico' THEN 3 + (rnd(n, 12) % {sellers})::INTEGER END,
               contact_id, owner_id,
               CASE WHEN own_opportunities > 0 AND opportunity_roll < 60
                    THEN contact_id + (rnd(n, 13) % own_opportunities)::INTEGER * {contacts} END,
               pick({_sql_list(DESCRIPTIONS)}, n, 14),
               CASE WHEN done THEN 'Realizada' ELSE 'Pendiente' END,
               -- done from two days before to a day after Hasta/Fecha (about two in three on time),
               -- an activity not before it started, and nothing before it was created or after now
               CASE WHEN done THEN least(greatest(due_at + to_minutes((rnd(n, 15) % 4320)::BIGINT - 2880), created_at,
                                                  CASE WHEN is_activity THEN starts_at ELSE created_at END),
                                         ?::TIMESTAMP) END,
               CASE WHEN done THEN coalesce(owner_id, 1) END,
               created_at, owner_id, created_at
        FROM (SELECT *, least(created_raw, ?::TIMESTAMP - INTERVAL 1 HOUR) AS created_at FROM timed)
        -- physical order by responsible then due date: per-person and date-range filters skip
        -- whole row groups through DuckDB's min/max zone maps
        ORDER BY 8 NULLS LAST, due_at, 1""", [anchor, anchor, anchor, anchor, anchor])  # sql-ok: rollups.ITEM_ORDER
