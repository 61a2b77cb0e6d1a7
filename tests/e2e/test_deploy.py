"""deploy/: the shipped nginx configuration (ports changed), in front of two app processes on
one PostgreSQL database: pages, the WebSocket and sign-in work through it."""

from __future__ import annotations

import os
import re
import subprocess
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import seed_demo_file
from tests.e2e.conftest import ROOT, SELLER, free_port, new_tab, serve, sign_in, wait_until_answers
from tests.postgresql import create_database

NGINX = Path(os.environ.get("ESCALA_NGINX", "/usr/sbin/nginx"))
SITE = ROOT / "deploy" / "nginx-escala.conf"


def _nginx() -> Path:
    if not NGINX.exists():
        message = f"nginx is not installed at {NGINX} (apt-get install nginx)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)  # only outside CI: with CI=true a missing nginx fails just above
    return NGINX


def site_for(ports: list[int], listen: int) -> str:
    """The shipped site with its upstream pointing at ``ports`` and listening on ``listen``."""
    text = SITE.read_text(encoding="utf-8")
    servers = "".join(f"    server 127.0.0.1:{port};\n" for port in ports)
    text, upstreams = re.subn(r"(    server 127\.0\.0\.1:\d+;\n)+", servers, text)
    text, listens = re.subn(r"listen 80;", f"listen 127.0.0.1:{listen};", text)
    assert upstreams == 1 and listens == 1, "deploy/nginx-escala.conf changed shape: update this test"
    return text


@pytest.fixture(scope="module")
def proxied(tmp_path_factory, postgresql_url):
    nginx = _nginx()
    folder = tmp_path_factory.mktemp("deploy")
    url = create_database(postgresql_url)
    seed_demo_file(url, users=4, contacts=10, activities=20, tasks=20, seed=6)
    with ExitStack() as stack:
        apps = [stack.enter_context(serve(url, folder / f"app-{n}.log")) for n in range(2)]
        port = free_port()
        (folder / "escala.conf").write_text(site_for([int(app.rsplit(":", 1)[1]) for app in apps], port))
        (folder / "nginx.conf").write_text(f"""
            {'user root;' if os.geteuid() == 0 else ''}
            worker_processes 1;
            pid {folder}/nginx.pid;
            error_log {folder}/error.log;
            events {{}}
            http {{
                access_log {folder}/access.log;
                client_body_temp_path {folder}/body;
                proxy_temp_path {folder}/proxy;
                fastcgi_temp_path {folder}/fastcgi;
                uwsgi_temp_path {folder}/uwsgi;
                scgi_temp_path {folder}/scgi;
                include {folder}/escala.conf;
            }}
        """)
        command = [str(nginx), "-p", str(folder), "-c", str(folder / "nginx.conf")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        proxy = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.STDOUT,
                                 stdout=open(folder / "nginx.out", "w"))
        stack.callback(proxy.wait, 20)
        stack.callback(proxy.terminate)
        public = f"http://127.0.0.1:{port}"
        wait_until_answers(f"{public}/_escala/health", proxy, str(folder / "error.log"))
        yield public, folder


def test_the_shipped_nginx_serves_the_app_and_its_websocket(browser, proxied):
    public, folder = proxied
    with urllib.request.urlopen(f"{public}/_escala/health", timeout=5) as answer:
        assert answer.read() == b"ok" and answer.headers["X-Content-Type-Options"] == "nosniff"
    with new_tab(browser) as tab:
        tab.goto(public)
        sign_in(tab, SELLER)
        expect(tab.get_by_role("heading", name="Mi agenda")).to_be_visible()  # drawn over the proxied WebSocket
        tab.reload()
        expect(tab.get_by_role("heading", name="Mi agenda")).to_be_visible()
    log = (folder / "access.log").read_text()
    assert '"GET /_stcore/stream HTTP/1.1" 101' in log  # the upgrade went through
