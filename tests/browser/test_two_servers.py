"""Two Gunicorn app servers sharing one PostgreSQL and one Redis: an edit made through one is
seen in the other's page (their caches are invalidated for both) and, once a worker process
has rendered it, in the other's PDF (the previous one is served meanwhile)."""

import io
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from tests.support.seed import first_grigny_action

ROOT = Path(django_settings.BASE_DIR)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres_only(reason="needs PostgreSQL (run with DATABASE_URL=postgres://…)"),
]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url):
    with urllib.request.urlopen(url, timeout=120) as response:
        return response.read()


def pdf_text(data):
    from pypdf import PdfReader

    return " ".join(
        " ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages
    )


@pytest.fixture
def two_servers(seeded):
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError as error:
        pytest.fail(
            f"Redis is unreachable on 127.0.0.1:6379 ({error}): the two servers share their cache "
            "through it. Run `make test` (it sets Redis up) or start redis-server."
        )
    settings = connection.settings_dict
    env = dict(os.environ)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the test's own browser, not for servers
    env.update(
        DATABASE_URL=(
            f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}:"
            f"{settings['PORT'] or 5432}/{settings['NAME']}"
        ),
        REDIS_URL="redis://127.0.0.1:6379/8",
        CACHE_KEY_PREFIX=f"two-servers-{secrets.token_hex(4)}",
        DEBUG="1",
        AXES_ENABLED="0",
    )
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "perer.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                "1",
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url in urls:
            deadline = time.time() + 30
            while True:
                try:
                    fetch(url + "/territoires/")
                    break
                except OSError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.3)
        yield (*urls, env)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)


def test_edit_on_one_server_is_seen_on_the_other(two_servers, browser, django_user_model):
    server_a, server_b, env = two_servers
    django_user_model.objects.create_superuser("admin-two", "a@example.org", "motdepasse-Solide-42")
    action = first_grigny_action()
    marker = f"Texte modifié sur le serveur A {secrets.token_hex(3)}"

    # Server B renders and caches the page and the PDF before the edit.
    assert marker not in fetch(server_b + "/territoires/grigny/").decode()
    assert marker not in pdf_text(fetch(server_b + "/territoires/grigny/protocole.pdf"))

    page = browser.new_page()
    page.goto(server_a + "/admin/login/")
    page.fill("#id_username", "admin-two")
    page.fill("#id_password", "motdepasse-Solide-42")
    page.click("input[type=submit]")
    page.goto(f"{server_a}/admin/commitments/action/{action.pk}/change/")
    page.fill("textarea[name=text]", marker)
    page.click("input[name=_save]")
    page.wait_for_load_state()
    page.close()

    action.refresh_from_db()
    assert action.text == marker
    assert marker in fetch(server_b + "/territoires/grigny/").decode()
    # Until a worker has rendered the new PDF, B serves the previous one, at once…
    assert marker not in pdf_text(fetch(server_b + "/territoires/grigny/protocole.pdf"))
    # … then a worker process (sharing the database) renders it, and B serves it.
    worker = subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--queue-name", "pdf", "--batch"]
        + ["--no-reload", "--no-startup-delay"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert worker.returncode == 0, worker.stdout + worker.stderr
    assert marker in pdf_text(fetch(server_b + "/territoires/grigny/protocole.pdf"))
