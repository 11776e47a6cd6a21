"""Security: production settings, response headers, pages the CSP can enforce, login
throttling, and no secret in the repository. (The CSP in a real browser:
tests/browser/test_csp_browser.py.)

Production settings are read in a fresh interpreter with DEBUG=0 (as tests/test_settings.py
does): they are computed when the module is imported, so override_settings would only test the
override.
"""

import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import override_settings

from commitments.models import Action, OperationalObjective
from tests import factories

ROOT = Path(django_settings.BASE_DIR)
PRODUCTION_HOST = "perer.example.org"


def production_env(**extra):
    """The environment of a production server: DEBUG off, a real key, a host name.

    The database is an unused in-memory SQLite one: nothing here may touch the dev database.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"}
        # Browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for themselves: no server has it.
        and not key.startswith(("SECURE_", "BEHIND_PROXY", "AXES_", "DJANGO_"))
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(45),  # 60 random characters
        ALLOWED_HOSTS=PRODUCTION_HOST,
        DATABASE_URL="sqlite://:memory:",
        DJANGO_SETTINGS_MODULE="perer.settings",
    )
    env.update(extra)
    return env


def run_python(code, **extra_env):
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=production_env(**extra_env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# Runs in the subprocess: what a browser would get from a production server.
PRODUCTION_PROBE = """
import json
import django
from django.conf import settings
django.setup()
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.test.utils import setup_test_environment

setup_test_environment()  # lets the test client's "testserver" in; DEBUG stays as configured

def cookie(morsel):
    return {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"]),
            "samesite": morsel["samesite"]}

# No database here: sessions are kept in the cache for this probe only; no collectstatic
# either, so static URLs are left unhashed (the storage setting is reported as configured).
staticfiles = settings.STORAGES["staticfiles"]["BACKEND"]
storages = {**settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cache", STORAGES=storages):
    client = Client()
    plain = client.get("/admin/login/")
    login = client.get("/admin/login/", secure=True)

    def view(request):
        request.session["probe"] = 1
        return HttpResponse()

    session = SessionMiddleware(view)(RequestFactory().get("/", secure=True))

print(json.dumps({
    "debug": settings.DEBUG,
    "hsts_seconds": settings.SECURE_HSTS_SECONDS,
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "login_status": login.status_code,
    "hsts": login.get("Strict-Transport-Security", ""),
    "csrf_cookie": cookie(login.cookies[settings.CSRF_COOKIE_NAME]),
    "session_cookie": cookie(session.cookies[settings.SESSION_COOKIE_NAME]),
    "renderers": settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"],
    "staticfiles": staticfiles,
}))
"""


@pytest.fixture(scope="module")
def production():
    """What the production settings answer, read once by a separate process."""
    return run_python(PRODUCTION_PROBE)


class TestProductionSettings:
    def test_check_deploy_reports_nothing(self):
        result = subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=ROOT,
            env=production_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "no issues" in result.stdout

    def test_a_weak_secret_key_is_refused(self):
        """Django only warns about a short key; the settings refuse to start."""
        result = subprocess.run(
            [sys.executable, "-c", "import perer.settings"],
            cwd=ROOT,
            env=production_env(SECRET_KEY="trop-courte"),
            capture_output=True,
            text=True,
        )
        assert result.returncode != 0
        assert "SECRET_KEY" in result.stderr

    def test_hsts(self, production):
        assert production["debug"] is False
        assert production["hsts_seconds"] >= 31536000
        directives = [part.strip() for part in production["hsts"].split(";")]
        max_age = int(directives[0].removeprefix("max-age="))
        assert max_age == production["hsts_seconds"]
        assert "includeSubDomains" in directives

    def test_plain_http_is_redirected_to_https(self, production):
        assert production["plain_status"] == 301
        assert production["plain_location"].startswith("https://")

    def test_session_cookie_is_secure_and_httponly(self, production):
        assert production["session_cookie"]["secure"]
        assert production["session_cookie"]["httponly"]
        assert production["session_cookie"]["samesite"] in {"Lax", "Strict"}

    def test_csrf_cookie_is_secure_and_httponly(self, production):
        assert production["login_status"] == 200
        assert production["csrf_cookie"]["secure"]
        assert production["csrf_cookie"]["httponly"]
        assert production["csrf_cookie"]["samesite"] in {"Lax", "Strict"}

    def test_api_answers_json_only(self, production):
        """No browsable API (HTML forms, inline script) in production."""
        assert production["renderers"] == ["rest_framework.renderers.JSONRenderer"]

    def test_static_files_have_hashed_names(self, production):
        assert production["staticfiles"].startswith("whitenoise.storage.CompressedManifest")


CLIENT_IP_PROBE = """
import json
import django
django.setup()
from axes.helpers import get_client_ip_address
from django.test import RequestFactory

request = RequestFactory().post(
    "/admin/login/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9"
)
print(json.dumps({"axes_ip": get_client_ip_address(request)}))
"""


def test_login_throttling_sees_the_client_address_behind_the_proxy():
    """Behind nginx every request comes from 127.0.0.1: django-axes must count failures per
    real client (the address nginx appends to X-Forwarded-For, never one the client wrote),
    or five bad passwords from anywhere lock a staff account out for everyone."""
    behind = run_python(CLIENT_IP_PROBE, BEHIND_PROXY="1")
    assert behind["axes_ip"] == "203.0.113.9"
    direct = run_python(CLIENT_IP_PROBE)
    assert direct["axes_ip"] == "127.0.0.1"


# Headers ---------------------------------------------------------------------------------


def csp_directives(header):
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def header_urls():
    action = Action.objects.order_by("pk").first()
    return [
        "/",
        "/territoires/grigny/",
        action.get_public_url(),
        "/territoires/inconnu/",  # a 404 page
        "/admin/login/",
        "/api/v1/territoires/",
        "/api/docs/",
        "/donnees/engagements.json",
        "/flux/mises-a-jour.atom",
    ]


@pytest.mark.django_db
class TestHeaders:
    def test_every_kind_of_response_carries_the_headers(self, client):
        for url in header_urls():
            response = client.get(url)
            assert response.status_code in {200, 404}, url
            csp = csp_directives(response["Content-Security-Policy"])
            assert csp["script-src"] == ["'self'"], url
            assert csp["default-src"] == ["'self'"], url
            assert csp["object-src"] == ["'none'"], url
            assert csp["frame-ancestors"] == ["'none'"], url
            assert csp["base-uri"] == ["'self'"], url
            for name, sources in csp.items():
                assert "'unsafe-inline'" not in sources, (url, name)
                assert "'unsafe-eval'" not in sources, (url, name)
                assert not [s for s in sources if s.startswith(("http", "*"))], (url, name)
            assert response["X-Frame-Options"] == "DENY", url
            assert response["X-Content-Type-Options"] == "nosniff", url
            assert response["Referrer-Policy"] in {"same-origin", "no-referrer", "strict-origin"}
            assert response["Cross-Origin-Opener-Policy"] == "same-origin", url

    def test_the_api_is_not_framable_nor_sniffable(self, client):
        response = client.get("/api/v1/actions/", {"statut": "<b>"})
        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        assert response["X-Content-Type-Options"] == "nosniff"


# The pages themselves: what the CSP would block, and anything fetched from elsewhere ------


class Markup(HTMLParser):
    """Inline scripts, inline styles and every URL a page points to."""

    URL_ATTRIBUTES = {"src", "href", "action", "formaction", "poster", "data", "srcset"}

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.inline_scripts = []
        self.style_elements = 0
        self.style_attributes = []
        self.handlers = []
        self.urls = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and not attrs.get("src") and attrs.get("type") != "application/json":
            self.inline_scripts.append(attrs)
        if tag == "style":
            self.style_elements += 1
        if "style" in attrs:
            self.style_attributes.append((tag, attrs["style"]))
        self.handlers += [(tag, name) for name in attrs if name.startswith("on")]
        for name, value in attrs.items():
            if name in self.URL_ATTRIBUTES and value:
                urls = (
                    [part.split()[0] for part in value.split(",")] if name == "srcset" else [value]
                )
                self.urls += [(tag, name, url) for url in urls if url]

    handle_startendtag = handle_starttag

    def external_urls(self):
        """URLs that leave the site (another host, or a script: URL)."""
        found = []
        for tag, name, url in self.urls:
            parts = urlsplit(url.strip())
            local = parts.netloc in {"", "testserver"}
            if not local or parts.scheme not in {"", "http", "https", "data", "mailto"}:
                found.append((tag, name, url))
        return found


def public_pages():
    action = Action.objects.order_by("pk").first()
    objective = OperationalObjective.objects.order_by("pk").first()
    return [
        "/",
        "/territoires/",
        "/territoires/grand-paris-sud/",
        "/territoires/grigny/",
        "/thematiques/emploi/",
        "/engagements/",
        "/engagements/?q=emploi&statut=en_cours",
        "/engagements/?territoire=inconnu",  # an invalid filter: the message page
        "/glossaire/",
        "/accessibilite/",
        "/tableau-de-bord/",
        "/tableau-de-bord/grigny/",
        action.get_public_url(),
        objective.get_public_url(),
        "/api/docs/",
        "/admin/login/",
    ]


@pytest.mark.django_db
def test_pages_need_no_inline_script_or_style_and_nothing_from_elsewhere(client):
    checked = 0
    for url in public_pages():
        response = client.get(url)
        assert response.status_code in {200, 400}, url
        markup = Markup(response.content.decode())
        assert markup.inline_scripts == [], url
        assert markup.style_elements == 0, url
        assert markup.style_attributes == [], url
        assert markup.handlers == [], url
        assert markup.external_urls() == [], url
        checked += len(markup.urls)
    assert checked > 100  # the parser did see the pages' links and resources


@pytest.mark.django_db
def test_swagger_ui_loads_only_local_files(client):
    page = Markup(client.get("/api/docs/").content.decode())
    scripts = [url for tag, name, url in page.urls if tag == "script"]
    assert len(scripts) == 4  # Swagger UI's two, its settings, static/api_docs/api_docs.js
    assert all(url.startswith(("/static/", "/api/docs/?")) for url in scripts)
    script = client.get("/api/docs/", {"script": ""})
    assert script["Content-Type"].startswith("application/javascript")
    code = script.content.decode()
    assert '"validatorUrl": null' in code  # else the schema URL goes to validator.swagger.io
    assert not re.findall(r"https?://", code)


# Admin login throttling (django-axes) ----------------------------------------------------

LOGIN_URL = "/admin/login/?next=/admin/"
PASSWORD = "motdepasse-Solide-42"


@pytest.mark.django_db
class TestLoginThrottling:
    @pytest.fixture(autouse=True)
    def fresh_axes(self, fast_password_hasher):
        from axes.utils import reset

        reset()
        cache.clear()
        yield
        reset()

    @pytest.fixture
    def staff(self):
        return factories.UserFactory(username="agent-gps", password=PASSWORD, is_staff=True)

    def login(self, client, password, ip="198.51.100.20"):
        return client.post(
            LOGIN_URL,
            {"username": "agent-gps", "password": password, "next": "/admin/"},
            REMOTE_ADDR=ip,
        )

    def test_below_the_limit_the_right_password_works(self, client, staff):
        for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
            response = self.login(client, "mauvais")
            assert response.status_code == 200  # the form again, with its error
            assert "_auth_user_id" not in client.session
        response = self.login(client, PASSWORD)
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(staff.pk)

    def test_after_the_limit_the_right_password_is_refused(self, client, staff):
        limit = django_settings.AXES_FAILURE_LIMIT
        assert 3 <= limit <= 10
        for _ in range(limit):
            self.login(client, "mauvais")
        response = self.login(client, PASSWORD)
        assert response.status_code == 429
        assert "_auth_user_id" not in client.session
        message = response.content.decode()
        assert "trop de tentatives de connexion" in message.lower()
        # The admin itself stays closed.
        assert client.get("/admin/").status_code == 302

    def test_lockout_is_per_address(self, client, staff):
        """An attacker elsewhere cannot lock the agent out of their own desk."""
        for _ in range(django_settings.AXES_FAILURE_LIMIT):
            self.login(client, "mauvais", ip="203.0.113.66")
        response = self.login(client, PASSWORD, ip="198.51.100.20")
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(staff.pk)


# API throttling: the client address cannot be chosen by the client -------------------------


@pytest.mark.django_db
def test_api_throttle_ignores_a_forged_forwarded_for(client, settings):
    """A client that sends its own X-Forwarded-For must not get a fresh quota each time."""
    rest = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/minute"}}
    cache.clear()
    with override_settings(REST_FRAMEWORK=rest):
        statuses = [
            client.get(
                "/api/v1/thematiques/",
                REMOTE_ADDR="198.51.100.30",
                HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
            ).status_code
            for n in range(5)
        ]
    cache.clear()
    assert statuses == [200, 200, 200, 429, 429]


# No secret in the repository -------------------------------------------------------------

SECRET_PATTERNS = {
    # Some patterns are split so that this file does not match itself.
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE" + r" KEY-----"),
    "AWS key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "Django generated key": re.compile("django-" + "insecure-"),
    "secret key value": re.compile(
        r"""SECRET_KEY\s*[=:]\s*["']([^"'\s]{20,})["']""", re.IGNORECASE
    ),
    "password value": re.compile(
        r"""((?:password|passwd|pwd|mot_?de_?passe)\w*)["']?\s*[=:,]\s*["']([^"'\s]{6,})["']""",
        re.IGNORECASE,
    ),
    "credentials in a URL": re.compile(r"\b[a-z][a-z0-9+]*://[^/\s:@\"']+:([^/\s:@\"']+)@"),
}

# Not secrets: the development key (refused when DEBUG=0), and the passwords of the accounts
# the tests create in their throwaway databases.
ALLOWED_VALUES = {"dev-only-insecure-key-never-use-in-production"}
TEST_ONLY = {"password value"}
SKIPPED_SUFFIXES = {".ttf", ".png", ".jpg", ".pdf", ".xlsx", ".sqlite3", ".ico", ".woff2"}


def is_own_name(match):
    """An enum member whose value is its own name (`PASSWORD_RESET = "password_reset"`) names
    a thing; it is not a secret."""
    return match.lastindex == 2 and match.group(1).lower() == match.group(2).lower()


def repository_files():
    """The files git would commit (tracked, or new and not ignored)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.fail(f"The secret scan needs git and a git work tree at {ROOT}: {error}")
    return [ROOT / name for name in listed.decode().split("\0") if name]


def test_no_secret_in_the_repository():
    found = []
    files = repository_files()
    for path in files:
        if path.suffix in SKIPPED_SUFFIXES or path.name == "package-lock.json":
            continue
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for label, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                value = match.group(match.lastindex or 0)
                if value in ALLOWED_VALUES or value.startswith(("$", "<", "{")):
                    continue
                if is_own_name(match):
                    continue
                if label in TEST_ONLY and path.relative_to(ROOT).parts[0] == "tests":
                    continue
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {label}")
    assert len(files) > 50
    assert found == []


def test_the_secret_scan_finds_what_it_looks_for():
    samples = {  # assembled here, so that the scan of this file finds none of them
        "private key": "-----BEGIN RSA " + "PRIVATE KEY-----",
        "secret key value": "SECRET_KEY = " + '"x7#kq9!vz0-a8b2c4d6e8f0g1h3j5k7"',
        "password value": "password=" + '"Hunter2-secret"',
        "credentials in a URL": "postgres://perer:" + "S3cret@db.example.org/perer",
        "Django generated key": "django-" + "insecure-abc",
    }
    for label, sample in samples.items():
        assert SECRET_PATTERNS[label].search(sample), label
    assert not SECRET_PATTERNS["password value"].search("password = env_str('DB_PASSWORD')")
    enum = SECRET_PATTERNS["password value"].search('PASSWORD_RESET = "password_reset"')
    assert enum and is_own_name(enum)
    secret = SECRET_PATTERNS["password value"].search("password_reset = " + '"Hunter2-secret"')
    assert secret and not is_own_name(secret)


# The admin under the same CSP ---------------------------------------------------------------


def admin_pages(user):
    """Every admin page a staff member opens: lists, forms, history, import."""
    from django.contrib import admin
    from django.test import RequestFactory
    from django.urls import NoReverseMatch, reverse

    request = RequestFactory().get("/admin/")
    request.user = user
    urls = ["/admin/", "/admin/password_change/"]
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{info}_changelist"))
        if model_admin.has_add_permission(request):
            urls.append(reverse(f"{info}_add"))
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            urls.append(reverse(f"{info}_change", args=[obj.pk]))
            urls.append(reverse(f"{info}_history", args=[obj.pk]))
        with contextlib.suppress(NoReverseMatch):
            urls.append(reverse(f"{info}_import"))
    return urls


@pytest.mark.django_db
def test_admin_pages_run_no_inline_script(client):
    """An inline script or event handler is blocked by the CSP: the feature would silently
    not work in production. (Inline style attributes are only cosmetic: left to the apps.)"""
    user = factories.UserFactory(username="admin-csp", is_staff=True, is_superuser=True)
    client.force_login(user)
    pages = admin_pages(user)
    assert len(pages) > 40
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        markup = Markup(response.content.decode())
        assert markup.inline_scripts == [], url
        assert markup.handlers == [], url
        assert markup.external_urls() == [], url


# django-import-export's own export form has an inline onchange="…" ("Tout sélectionner"),
# which the CSP blocks: templates/admin/import_export/export.html overrides it.
@pytest.mark.django_db
def test_admin_export_page_runs_no_inline_script(client):
    client.force_login(
        factories.UserFactory(username="admin-export", is_staff=True, is_superuser=True)
    )
    response = client.get("/admin/commitments/action/export/")
    assert response.status_code == 200
    assert Markup(response.content.decode()).handlers == []
