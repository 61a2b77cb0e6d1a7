"""A browser tab in Python: Escala's sign-in form over HTTP, then Streamlit's own WebSocket
protocol (``/_stcore/stream``) with the protobuf classes Streamlit ships.

What a browser does, and so what this does:

- sign in through the server's form (``/_escala/ingresar``: the CSRF cookie and field, then
  email and password), which answers with the HttpOnly session cookie;
- load the page's HTML (Streamlit sets its XSRF cookie there), open the WebSocket with the
  cookies, and send ``BackMsg.rerun_script`` with a ``ClientState``: the query string, the
  page (``page_name`` from the address the first time, ``page_script_hash`` after that), the
  widgets' states and, for a widget drawn inside a fragment (a dialog, a chart fragment),
  that ``fragment_id``;
- read ``ForwardMsg``s until the run is over (``script_finished``, past the runs that end
  early for ``st.rerun`` or ``st.switch_page``), keeping the element tree the deltas build
  (full runs start a new tree, fragment runs replace their own part), the pages
  (``navigation``), the query string (``page_info_changed``) and the cache of large
  messages (the next rerun names their hashes and the server answers with ``ref_hash``).

A widget is set the way the browser sets it: a button's ``trigger_value`` for one run, the
value of a text input, a select box (its option's label) or a chart selection (JSON) kept
and sent with every later run while the widget is on the page.

This module imports neither Locust nor gevent: the smoke test in ``tests/`` drives it in
plain Python, and ``load/locustfile.py`` under Locust.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

SIGN_IN_PATH = "/_escala/ingresar"
STREAM_PATH = "/_stcore/stream"
XSRF_COOKIE = "_streamlit_xsrf"
SESSION_COOKIE = "escala_sesion"
# What the app says when something went wrong: Spanish messages from escala/ui/errors.py,
# and a toast with the error or warning icon (escala/ui/items.py's button callbacks).
UNEXPECTED = "Algo salió mal"
FAILED_TOAST_ICONS = (":material/error:", ":material/warning:")
DONE = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
        ForwardMsg.FINISHED_WITH_COMPILE_ERROR}
TEXT_FIELDS = ("body", "label", "message")


class ProtocolError(RuntimeError):
    """The app did not answer the way a browser would need (a timeout, a closed socket, a
    page that never finished)."""


class SignInFailed(RuntimeError):
    """The sign-in form did not let this user in."""


@dataclass
class Element:
    """One node of the page: an element (``kind`` is its type: "button", "markdown"...) or a
    block ("block:dialog", "block:flex_container"...), where the deltas put it."""
    path: tuple[int, ...]
    kind: str
    proto: Any
    fragment_id: str
    script_hash: str  # the script that drew it: the entry point's survive a page change
    run: int  # the run that last drew it (a fragment's run drops what it did not redraw)

    @property
    def id(self) -> str:
        return getattr(self.proto, "id", "") if not self.kind.startswith("block:") else ""

    @property
    def label(self) -> str:
        return getattr(self.proto, "label", "") or getattr(self.proto, "title", "")

    @property
    def text(self) -> str:
        """What the element says (a body, a label or a message), or ""."""
        return next((value for name in TEXT_FIELDS if isinstance(value := getattr(self.proto, name, None), str)
                     and value), "")

    def has_key(self, key: str) -> bool:
        """A widget made with ``key=key`` (Streamlit ends its id with the key)."""
        return self.id.endswith(f"-{key}")

    def within(self, block: Element) -> bool:
        return self.path[:len(block.path)] == block.path and self.path != block.path


@dataclass
class Run:
    """What one request to the app brought back: how long until the run was over, the bytes
    received, the toasts it showed and anything that went wrong (tracebacks, the app's
    "Algo salió mal", error toasts, a compile error)."""
    seconds: float = 0.0
    received: int = 0
    toasts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _problem(element: Element) -> str | None:
    if element.kind == "exception":
        return f"traceback: {element.proto.type}: {element.proto.message}"[:300]
    if element.kind == "alert" and UNEXPECTED in element.proto.body:
        return element.proto.body[:300]
    if element.kind == "toast" and (element.proto.icon in FAILED_TOAST_ICONS or UNEXPECTED in element.proto.body):
        return f"toast: {element.proto.body}"[:300]
    return None


def _decode_typed_array(value):
    """Plotly's JSON carries arrays as {"dtype", "bdata", "shape"} (base64): as nested lists."""
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        import numpy as np
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        if value.get("shape"):
            array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
        return array.tolist()
    return value


def bars(chart: Element) -> list[dict]:
    """The bars of a Plotly chart element, each as the point the browser reports when it is
    clicked (curve and point numbers, x, y, customdata, legend group) plus its ``value``."""
    spec = json.loads(chart.proto.spec)
    found = []
    for curve, trace in enumerate(spec.get("data", [])):
        xs, ys = _decode_typed_array(trace.get("x", [])), _decode_typed_array(trace.get("y", []))
        custom = _decode_typed_array(trace.get("customdata")) or [None] * len(xs)
        horizontal = trace.get("orientation") == "h"
        for index, (x, y) in enumerate(zip(xs, ys)):
            point = {"curve_number": curve, "point_number": index, "point_index": index, "x": x, "y": y,
                     "legendgroup": trace.get("legendgroup") or None}
            if index < len(custom) and custom[index] is not None:
                point["customdata"] = custom[index]
            found.append({**point, "value": x if horizontal else y})
    return found


class WebSocket:
    """A WebSocket client on a plain socket, with websockets' sans-I/O protocol and no thread
    of its own: reading happens only when asked (answering the server's pings then), so it
    behaves the same in plain Python and under gevent, where Locust runs it."""

    def __init__(self, url: str, headers: dict[str, str], subprotocols: list[str], timeout: float):
        self.protocol = ClientProtocol(parse_uri(url), subprotocols=[Subprotocol(p) for p in subprotocols],
                                       max_size=None)
        request = self.protocol.connect()
        for name, value in headers.items():
            request.headers[name] = value
        self.protocol.send_request(request)
        self.socket = socket.create_connection((self.protocol.uri.host, self.protocol.uri.port), timeout=timeout)
        self._flush()
        self.messages: list[bytes] = []
        self._parts: list[bytes] = []
        deadline = time.monotonic() + timeout
        while self.protocol.state is State.CONNECTING:
            self._read(deadline)
        if self.protocol.state is not State.OPEN:
            raise ProtocolError(f"handshake refused: {self.protocol.handshake_exc}")

    def send(self, data: bytes) -> None:
        self.protocol.send_binary(data)
        self._flush()

    def recv(self, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        while not self.messages:
            self._read(deadline)
        return self.messages.pop(0)

    def close(self) -> None:
        try:
            if self.protocol.state is State.OPEN:
                self.protocol.send_close()
                self._flush()
        finally:
            self.socket.close()

    def _flush(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.socket.sendall(data)

    def _read(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        self.socket.settimeout(remaining)
        try:
            data = self.socket.recv(262144)
        except socket.timeout:
            raise TimeoutError from None
        if data:
            self.protocol.receive_data(data)
        else:
            self.protocol.receive_eof()
        self._flush()  # pongs and close frames the protocol answered with
        for event in self.protocol.events_received():
            if isinstance(event, Response):
                continue
            if event.opcode in (Opcode.BINARY, Opcode.TEXT, Opcode.CONT):
                self._parts.append(event.data)
                if event.fin:
                    self.messages.append(b"".join(self._parts))
                    self._parts = []
        if not data or self.protocol.state is State.CLOSED:
            raise ProtocolError(f"the server closed the connection ({self.protocol.close_code})")


class Tab:
    """One browser tab on the app at ``base_url``: sign in, open a page, then click, type and
    choose; every interaction returns the ``Run`` it caused."""

    def __init__(self, base_url: str, timeout: float = 60.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        self.socket = None
        self.elements: dict[tuple[int, ...], Element] = {}
        self.pages: dict[str, str] = {}  # url path ("agenda") -> page script hash
        self.page_hash = ""
        self.main_hash = ""
        self.query_string = ""
        self.states: dict[str, WidgetState] = {}  # values the "browser" holds, by widget id
        self.cache: dict[str, ForwardMsg] = {}  # large messages by hash, as the browser caches them
        self._runs = 0
        self._fragment_run: set[str] = set()

    # ------------------------------------------------------------------ connecting

    def sign_in(self, email: str, password: str) -> float:
        """The server's sign-in form, as a person fills it; returns the seconds it took."""
        started = time.perf_counter()
        form = self.http.get(f"{self.base_url}{SIGN_IN_PATH}", params={"next": "/"}, timeout=self.timeout)
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        if form.status_code != 200 or token is None:
            raise SignInFailed(f"el formulario de ingreso respondió {form.status_code}")
        answer = self.http.post(f"{self.base_url}{SIGN_IN_PATH}", allow_redirects=False, timeout=self.timeout,
                                data={"csrf": token.group(1), "next": "/", "email": email, "password": password})
        if answer.status_code != 303 or SESSION_COOKIE not in self.http.cookies:
            raise SignInFailed(f"{email}: el ingreso respondió {answer.status_code}")
        return time.perf_counter() - started

    def open(self, path: str = "/") -> Run:
        """Load ``path`` (with its query) as a fresh tab: the HTML, then the WebSocket and the
        first run, which names the page by its address."""
        self.close()
        started = time.perf_counter()
        parts = urlsplit(path)
        self.http.get(f"{self.base_url}{parts.path}", timeout=self.timeout)  # index.html; Streamlit's XSRF cookie
        cookies = "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())
        protocols = ["streamlit"] + ([self.http.cookies[XSRF_COOKIE]] if XSRF_COOKIE in self.http.cookies else [])
        self.socket = WebSocket("ws" + self.base_url.removeprefix("http") + STREAM_PATH,
                                {"Cookie": cookies, "Origin": self.base_url}, protocols, self.timeout)
        self.elements, self.pages, self.states, self.cache = {}, {}, {}, {}
        self.page_hash = self.main_hash = ""
        self.query_string = parts.query
        run = self._rerun(page_name=parts.path.strip("/"))
        run.seconds = time.perf_counter() - started
        return run

    def close(self) -> None:
        if self.socket is not None:
            try:
                self.socket.close()
            except Exception:  # noqa: BLE001 - a socket already broken is closed enough
                pass
            self.socket = None

    @property
    def connected(self) -> bool:
        return self.socket is not None

    # ------------------------------------------------------------------ reading the page

    def find_all(self, kind: str | None = None, *, label: str | None = None, key: str | None = None,
                 text: str | None = None, within: Element | None = None) -> list[Element]:
        """The page's elements in page order, filtered by kind, exact label, widget key,
        text contained, or the block they sit in."""
        found = []
        for path in sorted(self.elements):
            element = self.elements[path]
            if ((kind is None or element.kind == kind) and (label is None or element.label == label)
                    and (key is None or element.has_key(key)) and (text is None or text in element.text)
                    and (within is None or element.within(within))):
                found.append(element)
        return found

    def find(self, kind: str | None = None, **filters) -> Element:
        found = self.find_all(kind, **filters)
        if not found:
            raise LookupError(f"no {kind or 'element'} {filters} on the page")
        return found[0]

    def title(self) -> str:
        """The page's first heading (st.title)."""
        headings = self.find_all("heading")
        return headings[0].proto.body if headings else ""

    def value(self, widget: Element) -> str | None:
        """A select box's current option: the one chosen in this tab, else its default."""
        if widget.id in self.states:
            return self.states[widget.id].string_value
        if widget.proto.set_value and widget.proto.HasField("raw_value"):  # set by the app (session state)
            return widget.proto.raw_value
        return widget.proto.options[widget.proto.default] if widget.proto.HasField("default") else None

    def dialog(self) -> Element | None:
        """The open dialog, if any."""
        return next((e for e in self.find_all("block:dialog") if e.proto.dialog.is_open), None)

    # ------------------------------------------------------------------ acting like a person

    def go_to(self, url_path: str) -> Run:
        """Choose a page in the sidebar's menu: another page starts without a query, the
        current one keeps its own (as Streamlit's menu does)."""
        if url_path not in self.pages:
            raise LookupError(f"no page {url_path!r} in the navigation ({sorted(self.pages)})")
        page_hash = self.pages[url_path]
        return self._change_page(page_hash, self.query_string if page_hash == self.page_hash else "")

    def follow(self, link: Element) -> Run:
        """Click an ``st.page_link``: its page, with its query."""
        return self._change_page(link.proto.page_script_hash, link.proto.query_string)

    def click(self, button: Element) -> Run:
        trigger = WidgetState(id=button.id, trigger_value=True)
        return self._rerun(triggers=[trigger], fragment_id=button.fragment_id)

    def type_into(self, widget: Element, text: str) -> None:
        """Type into a text input; like a browser, the value goes with the next run."""
        self.states[widget.id] = WidgetState(id=widget.id, string_value=text)

    def choose(self, selectbox: Element, option: str) -> Run:
        """Choose a select box's option by its label."""
        if option not in list(selectbox.proto.options):
            raise LookupError(f"{selectbox.label!r} has no option {option!r}")
        self.states[selectbox.id] = WidgetState(id=selectbox.id, string_value=option)
        return self._rerun(fragment_id=selectbox.fragment_id)

    def select_bar(self, chart: Element, bar: dict) -> Run:
        """Click a bar of a Plotly chart drawn with ``on_select="rerun"``."""
        point = {k: v for k, v in bar.items() if k != "value"}
        selection = {"selection": {"points": [point], "point_indices": [bar["point_index"]], "box": [], "lasso": []}}
        self.states[chart.id] = WidgetState(id=chart.id, string_value=json.dumps(selection))
        return self._rerun(fragment_id=chart.fragment_id)

    # ------------------------------------------------------------------ the protocol

    def _change_page(self, page_hash: str, query_string: str) -> Run:
        """A page change keeps only what the entry point drew (the sidebar), like the browser."""
        kept = {e.id for e in self.elements.values() if e.id and e.script_hash == self.main_hash}
        self.states = {wid: state for wid, state in self.states.items() if wid in kept}
        self.query_string = query_string
        return self._rerun(page_hash=page_hash)

    def _rerun(self, *, triggers: list[WidgetState] = (), fragment_id: str = "", page_hash: str | None = None,
               page_name: str = "") -> Run:
        if self.socket is None:
            raise ProtocolError("la pestaña no está conectada")
        active = {e.id for e in self.elements.values() if e.id}
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query_string
        state.page_script_hash = self.page_hash if page_hash is None else page_hash
        state.page_name = page_name
        state.fragment_id = fragment_id
        state.widget_states.widgets.extend([s for wid, s in self.states.items() if wid in active] + list(triggers))
        state.cached_message_hashes.extend(self.cache)
        state.context_info.timezone = "America/Mexico_City"
        state.context_info.timezone_offset = 360
        state.context_info.locale = "es-MX"
        state.context_info.url = f"{self.base_url}/{page_name}"
        started = time.perf_counter()
        try:
            self.socket.send(message.SerializeToString())
            run = self._read_until_done(started + self.timeout)
        except Exception as error:
            self.close()  # a tab in an unknown state: the next action opens a new one
            if isinstance(error, ProtocolError):
                raise
            raise ProtocolError(f"{type(error).__name__}: {error}") from error
        run.seconds = time.perf_counter() - started
        return run

    def _read_until_done(self, deadline: float) -> Run:
        run = Run()
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise ProtocolError(f"sin respuesta completa en {self.timeout:.0f} s")
            try:
                data = self.socket.recv(timeout=remaining)
            except TimeoutError:
                raise ProtocolError(f"sin respuesta completa en {self.timeout:.0f} s") from None
            run.received += len(data)
            message = ForwardMsg()
            message.ParseFromString(data)
            kind = message.WhichOneof("type")
            if kind == "ref_hash":
                message = self._from_cache(message)
                kind = message.WhichOneof("type")
            elif message.metadata.cacheable:
                self.cache[message.hash] = message
            if kind == "new_session":
                self._start_run(message)
            elif kind == "navigation":
                self.pages = {page.url_pathname: page.page_script_hash for page in message.navigation.app_pages}
                self.page_hash = message.navigation.page_script_hash or self.page_hash
            elif kind == "page_info_changed":
                self.query_string = message.page_info_changed.query_string
            elif kind == "delta":
                self._apply(message, run)
            elif kind == "session_event" and message.session_event.HasField("script_compilation_exception"):
                run.problems.append(f"compile error: {message.session_event.script_compilation_exception.message}")
            elif kind == "script_finished" and message.script_finished in DONE:
                self._finish_run()
                if message.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    run.problems.append("the script did not compile")
                return run

    def _from_cache(self, reference: ForwardMsg) -> ForwardMsg:
        cached = self.cache.get(reference.ref_hash)
        if cached is None:
            raise ProtocolError(f"the server referred to a message this tab never cached ({reference.ref_hash})")
        message = ForwardMsg()
        message.CopyFrom(cached)
        message.metadata.CopyFrom(reference.metadata)
        return message

    def _start_run(self, message: ForwardMsg) -> None:
        self._runs += 1
        session = message.new_session
        self.page_hash, self.main_hash = session.page_script_hash, session.main_script_hash
        self._fragment_run = set(message.metadata.run.fragment_ids)
        if not self._fragment_run:
            self.elements = {}  # a full run draws the whole page again

    def _finish_run(self) -> None:
        """A fragment's run drops what that fragment drew before and not this time."""
        if self._fragment_run:
            self.elements = {path: e for path, e in self.elements.items()
                             if e.fragment_id not in self._fragment_run or e.run == self._runs}

    def _apply(self, message: ForwardMsg, run: Run) -> None:
        delta = message.delta
        kind = delta.WhichOneof("type")
        if kind == "new_element":
            name = delta.new_element.WhichOneof("type")
            proto = getattr(delta.new_element, name) if name else delta.new_element
        elif kind == "add_block":
            name, proto = f"block:{delta.add_block.WhichOneof('type')}", delta.add_block
        else:
            return  # transient elements (spinners) are gone when the run is over
        path = tuple(message.metadata.delta_path)
        element = Element(path, name or "", proto, delta.fragment_id, message.metadata.active_script_hash, self._runs)
        self.elements[path] = element
        if element.kind == "toast":
            run.toasts.append(proto.body)
        problem = _problem(element)
        if problem:
            run.problems.append(problem)


def texts(tab: Tab) -> Iterator[str]:
    """Every text on the page, in page order (for assertions and error messages)."""
    return (element.text for element in tab.find_all() if element.text)
