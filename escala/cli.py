"""``python -m escala ...``: a thin layer over the core. Bad input exits with status 2 and
one Spanish line on stderr; an unexpected failure exits with status 1 and one line naming a
reference, while its traceback goes to the ``escala`` logger (a log file beside the
database). Never a traceback on the terminal."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
import tempfile
import uuid
from datetime import date
from pathlib import Path

import duckdb

from escala import demo
from escala.db import (
    PRIVATE_FILE_MODE, BaseDatabase, DatabaseLocked, DatabaseUnusable, default_path, is_url, open_database,
)
from escala.domain import RANGE_MESSAGE, NotFound, PermissionDenied, Role, UserDraft, ValidationError, day_in_range
from escala.store import Store

LOG_NAME = "escala.log"
logger = logging.getLogger("escala")


class CliError(Exception):
    """A one-line Spanish message for the operator."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors, as one Spanish line
        raise CliError(f"Argumentos no válidos: {message}. Usa --help para ver las opciones.")


def _positive(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} no es un número entero") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} debe ser cero o positivo")
    return value


def _day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} no es una fecha AAAA-MM-DD") from None
    if not day_in_range(day):
        raise argparse.ArgumentTypeError(f"{text}: {RANGE_MESSAGE.rstrip('.')}")
    return day


URL_EXPECTED = "--database-url debe ser una URL postgresql://usuario:clave@servidor:puerto/base."


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m escala", description="Escala · Actividades y Tareas")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--db", help=f"archivo de la base de datos (por defecto ESCALA_DB o {default_path()})")
    where.add_argument("--database-url", help="modo servidor: URL postgresql://… (por defecto ESCALA_DATABASE_URL)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    commands.add_parser("init", help="crea o actualiza el esquema de la base de datos")

    seed = commands.add_parser("seed-demo", help="carga datos de demostración en una base vacía")
    seed.add_argument("--users", type=_positive, default=demo.DemoSize.users)
    seed.add_argument("--contacts", type=_positive, default=demo.DemoSize.contacts)
    seed.add_argument("--opportunities", type=_positive, default=None)
    seed.add_argument("--activities", type=_positive, default=demo.DemoSize.activities)
    seed.add_argument("--tasks", type=_positive, default=demo.DemoSize.tasks)
    seed.add_argument("--seed", type=int, default=demo.DemoSize.seed)
    seed.add_argument("--today", type=_day, default=None, help="día de referencia (por defecto hoy)")
    seed.add_argument("--if-empty", action="store_true", help="no hacer nada si la base ya tiene datos")

    create = commands.add_parser("create-user", help="crea un usuario")
    create.add_argument("email")
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--time-zone", default=None)
    create.add_argument("--password-stdin", action="store_true", help="lee la contraseña de la entrada estándar")

    commands.add_parser("users", help="lista los usuarios")

    export = commands.add_parser("export", help="exporta actividades y tareas (CSV o Parquet)")
    export.add_argument("what", choices=["actividades", "tareas", "todo"])
    export.add_argument("--out", required=True, help="archivo de salida (nunca la base de datos)")
    export.add_argument("--force", action="store_true", help="reemplaza el archivo de salida si ya existe")
    export.add_argument("--format", choices=["csv", "parquet"], default=None,
                        help="por defecto, según la extensión de --out (csv si no es .parquet)")
    export.add_argument("--sep", choices=[",", ";"], default=",")
    export.add_argument("--bom", action="store_true", help="BOM UTF-8 al inicio (Excel)")
    export.add_argument("--no-escape", action="store_true", help="no neutraliza celdas que parecen fórmulas")
    export.add_argument("--desde", type=_day, help="vencimiento desde AAAA-MM-DD")
    export.add_argument("--hasta", type=_day, help="vencimiento hasta AAAA-MM-DD (incluido)")
    export.add_argument("--estatus", choices=["pendiente", "realizada"])
    export.add_argument("--responsable", help="correo del responsable")
    export.add_argument("--as", dest="as_email", required=True, help="correo del usuario con cuyos permisos se exporta")

    imports = commands.add_parser("import", help="importa actividades, tareas o contactos desde un CSV")
    imports.add_argument("what", choices=["actividades", "tareas", "todo", "contactos"])
    imports.add_argument("file", help="CSV con los encabezados de la exportación")
    imports.add_argument("--as", dest="as_email", required=True, help="correo del administrador que importa")
    imports.add_argument("--skip-invalid", action="store_true", help="carga las líneas válidas y omite las demás")

    commands.add_parser("compact", help="reordena los elementos por responsable y fecha y compacta los totales "
                                        "del Tablero (con la app detenida)")

    move = commands.add_parser("migrate", help="copia todos los datos a otra base vacía (archivo DuckDB o PostgreSQL)")
    move.add_argument("--from", dest="source", required=True, help="archivo .duckdb o URL postgresql://… de origen")
    move.add_argument("--to", dest="target", required=True, help="archivo .duckdb o URL postgresql://… de destino (vacía)")

    rollup = commands.add_parser("rollups", help="comprueba o reconstruye los totales del Tablero")
    action = rollup.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true",
                        help="los recalcula desde los elementos y lista cada diferencia (código 1 si hay alguna)")
    action.add_argument("--rebuild", action="store_true", help="los reescribe desde los elementos")
    rollup.add_argument("--zone", help="zona horaria de sus días, con --rebuild (por defecto la que tienen)")

    commands.add_parser("digest", help="envía por correo a cada usuario su agenda del día (requiere [smtp] en secrets)")

    bench = commands.add_parser("bench", help="mide el Tablero, el perfil y las inserciones")
    bench.add_argument("--items", type=_positive, default=10_000_000)
    bench.add_argument("--json", action="store_true", help="añade una línea JSON al final")
    bench.add_argument("--folder", default="bench", help="carpeta de las bases de prueba")
    bench.add_argument("--order", choices=["insertion", "compact"], default="insertion",
                       help="cómo están guardados los elementos: como llegan (por defecto) o tras `compact`")
    bench.add_argument("--screen", action="store_true",
                       help="también el Tablero en pantalla, en Chromium (requiere Playwright)")
    bench.add_argument("--database-url", default=argparse.SUPPRESS,  # also accepted here, after `bench`
                       help="también en PostgreSQL: una base vacía (se copian los mismos datos) o la de una corrida anterior")
    return parser


def _open(args) -> tuple[BaseDatabase, Store]:
    if args.database_url is not None and not is_url(args.database_url):
        raise CliError(URL_EXPECTED)
    db = open_database(args.database_url or args.db)
    db.migrate()
    return db, Store(db)


def _migrate(args) -> int:
    """Copy every table from ``--from`` into the empty ``--to`` (escala/transfer.py)."""
    from escala import transfer

    if str(args.source) == str(args.target):
        raise CliError("El origen y el destino son la misma base.")
    source = open_database(args.source)
    try:
        source.migrate()
        target = open_database(args.target)
        try:
            target.migrate()
            found = transfer.copy(source, target, report=print)
        except transfer.TransferError as error:
            raise CliError(str(error)) from None
        finally:
            target.close()
    finally:
        source.close()
    print(f"Datos copiados a {target.name}: {found.get('items', 0)} elementos, {found.get('contacts', 0)} contactos, "
          f"{found.get('users', 0)} usuarios; filas, totales del Tablero y referencias comprobados.")
    return 0


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Contraseña: ")
    if getpass.getpass("Repite la contraseña: ") != first:
        raise CliError("Las contraseñas no coinciden.")
    return first


def _acting_user(store: Store, email: str):
    user, _ = store.credentials(email)
    if user is None or not user.active:
        raise CliError(f"No existe un usuario activo con el correo {email}.")
    return user


def _digest(store: Store) -> None:
    from escala import digest, times

    try:
        settings = digest.smtp_settings()
        if settings is None:
            print("El resumen por correo está desactivado: agrega una sección [smtp] al archivo de secretos "
                  "(ESCALA_SECRETS o .streamlit/secrets.toml).")
            return
        sent = digest.send_digests(store, settings, times.now_utc())
    except digest.DigestError as error:
        raise CliError(str(error)) from None
    print(f"Resúmenes enviados: {sent}.")


def _export(args, db: BaseDatabase, store: Store) -> None:
    from escala import times
    from escala.analytics import Filters
    from escala.export import CsvOptions, Exporter, OutputExists, OutputPathError

    user = _acting_user(store, args.as_email)
    responsible = ()
    if args.responsable:
        person, _ = store.credentials(args.responsable)
        if person is None:
            raise CliError(f"No existe un usuario con el correo {args.responsable}.")
        responsible = (person.id,)
    filters = Filters(date_from=args.desde, date_to=args.hasta,
                      kind={"todo": "ambas"}.get(args.what, args.what),
                      states=({"pendiente": ("Pendiente",), "realizada": ("Realizada",)}[args.estatus]
                              if args.estatus else ()),
                      responsible_ids=responsible)
    fmt = args.format or ("parquet" if args.out.lower().endswith(".parquet") else "csv")
    try:
        rows = Exporter(db).write(args.out, filters, user, times.now_utc(), user.time_zone, fmt,
                                  CsvOptions(args.sep, args.bom, not args.no_escape),
                                  gzip=args.out.lower().endswith(".gz"), overwrite=args.force)
    except OutputExists as error:
        raise CliError(f"{error} Usa --force para reemplazarlo.") from None
    except OutputPathError as error:
        raise CliError(str(error)) from None
    print(f"{rows} filas exportadas a {args.out}")


def _import(args, store: Store) -> None:
    from escala.imports import import_contacts, import_items

    user = _acting_user(store, args.as_email)
    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"No existe el archivo {path}.")
    try:
        report = (import_contacts(store, user, path, args.skip_invalid) if args.what == "contactos"
                  else import_items(store, user, args.what, path, args.skip_invalid))
    except duckdb.Error as error:  # unreadable CSV: say so in one line
        raise CliError(f"No se pudo leer {path} como CSV: {str(error).splitlines()[0]}") from None
    for line, errors in report.rejected:
        print(f"línea {line}: " + " ".join(errors.values()), file=sys.stderr)
    print(report.summary())
    if report.rejected and not report.written:
        raise CliError("Importación cancelada; corrige las líneas indicadas.")


def _rollups(args, db: BaseDatabase) -> int:
    from escala import rollups, times

    if args.check:
        problems = rollups.check(db)
        for line in problems:
            print(line)
        print(f"{len(problems)} diferencias entre los totales y los elementos." if problems
              else "Los totales del Tablero coinciden con los elementos.")
        return 1 if problems else 0
    if args.zone and not times.is_valid_zone(args.zone):
        raise CliError(f"Zona horaria desconocida: {args.zone} (ejemplo: America/Mexico_City).")
    with db.transaction() as cursor:
        rollups.rebuild(cursor, args.zone)
    print(f"Totales del Tablero reconstruidos (días en {args.zone or rollups.zone_of(db.cursor())}).")
    return 0


def _compact(db: BaseDatabase) -> None:
    """All or nothing: one transaction. The file lock already guarantees the app is stopped
    (an open app makes ``_open`` fail with a message naming its process)."""
    import time

    from escala import rollups

    started = time.perf_counter()
    with db.transaction() as cursor:
        db.rewrite_sorted(cursor, "items", rollups.ITEM_ORDER)
        rollups.compact(cursor)
    db.checkpoint()
    print(f"Elementos reordenados y totales compactados en {time.perf_counter() - started:.1f} s.")


def run(args) -> int:
    if args.command == "bench":
        from escala import bench
        if args.database_url is not None and not is_url(args.database_url):
            raise CliError(URL_EXPECTED)
        try:
            print(bench.report(bench.run(args.items, Path(args.folder), args.order, args.screen, args.database_url),
                               args.json))
        except ValueError as error:
            raise CliError(str(error)) from None
        return 0
    if args.command == "migrate":
        return _migrate(args)
    db, store = _open(args)
    try:
        if args.command == "init":
            print(f"Base de datos lista: {db.name}")
        elif args.command == "seed-demo":
            if args.if_empty and not store.is_empty():
                print("La base ya tiene datos: no se cargan datos de demostración.")
                return 0
            size = demo.DemoSize(args.users, args.contacts, args.opportunities, args.activities, args.tasks,
                                 args.seed, args.today)
            try:
                counts = demo.seed(db, size)
            except ValueError as error:
                raise CliError(str(error)) from None
            print(f"Datos de demostración cargados en {counts['seconds']} s: {counts['users']} usuarios, "
                  f"{counts['contacts']} contactos, {counts['opportunities']} oportunidades, "
                  f"{counts['activities']} actividades y {counts['tasks']} tareas. "
                  f"Contraseña de todas las cuentas: {demo.DEMO_PASSWORD}")
        elif args.command == "create-user":
            password = _read_password(args.password_stdin)
            draft = UserDraft(args.name, args.email, args.role, password,
                              args.time_zone or UserDraft.__dataclass_fields__["time_zone"].default_factory())
            user = store.create_user(None, draft)
            print(f"Usuario creado: {user.email} ({user.role.label}, id {user.id})")
        elif args.command == "export":
            _export(args, db, store)
        elif args.command == "digest":
            _digest(store)
        elif args.command == "import":
            _import(args, store)
        elif args.command == "rollups":
            return _rollups(args, db)
        elif args.command == "compact":
            _compact(db)
        elif args.command == "users":
            for user in store.list_users(include_inactive=True):
                state = "activo" if user.active else "inactivo"
                print(f"{user.id}\t{user.email}\t{user.name}\t{user.role.label}\t{state}\t{user.time_zone}")
    finally:
        db.close()
    return 0


def _log_unexpected(reference: str, argv: list[str], db_path: str | None) -> Path | None:
    """Send the traceback being handled to the ``escala`` logger, through a file handler
    beside the database (or in the temp folder); returns that file, None if neither works."""
    folder = Path(db_path).parent if db_path else default_path().parent
    for candidate in (folder / LOG_NAME, Path(tempfile.gettempdir()) / LOG_NAME):
        try:
            handler = logging.FileHandler(candidate, encoding="utf-8")
            candidate.chmod(PRIVATE_FILE_MODE)  # tracebacks may quote customer data
        except OSError:
            continue
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        try:
            logger.error("Error inesperado (referencia %s) en: python -m escala %s", reference,
                         " ".join(argv), exc_info=True)
        finally:
            logger.removeHandler(handler)
            handler.close()
        return candidate
    return None


def main(argv: list[str] | None = None) -> int:
    args = None
    try:
        args = build_parser().parse_args(argv)
        code = run(args)
    except (CliError, DatabaseLocked, DatabaseUnusable, PermissionDenied, NotFound) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    except ValidationError as error:
        print("Error: " + " ".join(error.errors.values()), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Cancelado.", file=sys.stderr)
        return 130
    except Exception:  # a bug or a broken environment: one line here, the details in the log
        reference = uuid.uuid4().hex[:8]
        log = _log_unexpected(reference, sys.argv[1:] if argv is None else argv, getattr(args, "db", None))
        details = f"los detalles quedaron en el registro {log}" if log else "no se pudo escribir el registro"
        print(f"Error inesperado (referencia {reference}); {details}.", file=sys.stderr)
        return 1
    return code
