"""A real OpenID Connect provider for the ProConnect tests, and sign-ins through it.

- `running_provider(origins)`: tests/support/oidc_provider.mjs (oidc-provider from npm, set up
  like ProConnect) in a Node process on a free loopback port, its client registered for the
  portal at each of `origins` (the test client's http://testserver, a live server's address);
  waits for the discovery document, yields a `Provider`, stops the process. No network beyond
  the loopback. Node or the npm package missing: the test fails and says what to install.
- `Provider`: its `settings()` (the value of settings.PROCONNECT for it), `set_mode(...)` to
  spoil the next answers (an ID token signed with another key, an expired one, a userinfo
  answer signed with another key, the provider's clock moved), `reset()`.
- `Agent`: an agent's browser at the provider (a requests session and its cookies): logs in on
  the provider's page, cancels, confirms a logout.
- `sign_in(client, provider, email, …)`: the whole flow with Django's test client, from the
  button to the callback's answer.
"""

import json
import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from django.conf import settings

SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
PACKAGE = Path(settings.BASE_DIR) / "node_modules" / "oidc-provider" / "package.json"
CLIENT_ID = "perer-portail-test"
CLIENT_SECRET = "secret-du-portail-pour-les-tests-0123456789"
CALLBACK_PATH = "/compte/proconnect/retour/"
LOGOUT_RETURN_PATH = "/compte/proconnect/deconnexion/"
TEST_ORIGIN = "http://testserver"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Provider:
    def __init__(self, port):
        self.root = f"http://127.0.0.1:{port}"
        self.issuer = f"{self.root}/api/v2"
        self.discovery_url = f"{self.issuer}/.well-known/openid-configuration"

    def settings(self):
        return {
            "discovery_url": self.discovery_url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }

    def _control(self, path, payload=None):
        response = requests.post(f"{self.root}/__test__/{path}", json=payload or {}, timeout=5)
        response.raise_for_status()
        return response.json()

    def set_mode(self, **mode):
        """id_token="other_key" | "expired", userinfo="other_key", clock_offset=seconds."""
        return self._control("mode", mode)

    def reset(self):
        return self._control("reset")


@contextmanager
def running_provider(origins):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node not found: install Node.js 20 or later (Debian package nodejs)")
    if not PACKAGE.exists():
        pytest.fail(f"{PACKAGE.parent} not found: run `npm ci` (package-lock.json)")
    port = _free_port()
    config = {
        "port": port,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [origin + CALLBACK_PATH for origin in origins],
        "post_logout_redirect_uris": [origin + LOGOUT_RETURN_PATH for origin in origins],
        "now_ms": int(time.time() * 1000),  # this process's clock, moved or not
    }
    env = {**os.environ, "OIDC_PROVIDER_CONFIG": json.dumps(config), "NODE_NO_WARNINGS": "1"}
    process = subprocess.Popen(
        [node, str(SCRIPT)],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    provider = Provider(port)
    try:
        _wait_for(provider, process)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()


def _wait_for(provider, process, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the OpenID Connect provider stopped: {process.stderr.read()}")
        try:
            if requests.get(provider.discovery_url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the OpenID Connect provider did not answer within {seconds} s")


class _Forms(HTMLParser):
    """The forms of a page: [{"action", "inputs": {name: value}}]."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action", ""), "inputs": {}})
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["inputs"][attrs["name"]] = attrs.get("value") or ""


def forms_of(html):
    parser = _Forms()
    parser.feed(html)
    return parser.forms


class Agent:
    """An agent's browser at the provider: its cookies are its ProConnect session."""

    def __init__(self, portal_origin=TEST_ORIGIN):
        self.session = requests.Session()
        self.portal_origin = portal_origin

    def _follow(self, response):
        """Follow the provider's redirects until a page of the provider or an address of the
        portal (returned as a string)."""
        for _ in range(10):
            if not response.is_redirect:
                return response
            location = urljoin(response.url, response.headers["Location"])
            if location.startswith(self.portal_origin):
                return location
            response = self.session.get(location, allow_redirects=False, timeout=10)
        raise AssertionError("too many redirects at the provider")

    def open(self, url):
        """Open the provider's address `url`: its login page (a response), or straight back to
        the portal (the address) when the agent is still signed in at ProConnect."""
        return self._follow(self.session.get(url, allow_redirects=False, timeout=10))

    def log_in(self, authorize_url, email, *, sub="", mfa=False):
        """Sign in on the provider's login page; returns the portal's callback address."""
        page = self.open(authorize_url)
        if isinstance(page, str):
            return page  # already signed in at ProConnect
        (login_form, _) = forms_of(page.text)
        data = {"email": email, "sub": sub}
        if mfa:
            data["mfa"] = "1"
        back = self._post(page.url, login_form["action"], data)
        assert isinstance(back, str), back.text[:2000]
        return back

    def cancel(self, authorize_url):
        """« Annuler » on the provider's login page; returns the portal's callback address."""
        page = self.open(authorize_url)
        (_, cancel_form) = forms_of(page.text)
        return self._post(page.url, cancel_form["action"], {})

    def confirm_logout(self, end_session_url):
        """Confirm ProConnect's logout page; returns the portal's logout return address."""
        page = self.open(end_session_url)
        (form,) = [f for f in forms_of(page.text) if "xsrf" in f["inputs"]]
        back = self._post(page.url, form["action"], {**form["inputs"], "logout": "yes"})
        assert isinstance(back, str), back.text[:2000]
        return back

    def _post(self, page_url, action, data):
        response = self.session.post(
            urljoin(page_url, action), data=data, allow_redirects=False, timeout=10
        )
        return self._follow(response)


def query(url):
    """The query parameters of `url`, one value each."""
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def authorize_url(client, next_url=None):
    """Press the button: the provider's authorization address."""
    response = client.post("/compte/proconnect/", {"next": next_url} if next_url else {})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def sign_in(client, email, *, sub="", mfa=False, next_url=None, agent=None):
    """The button, the provider's login as `email`, the callback: the callback's response."""
    agent = agent or Agent()
    callback = agent.log_in(authorize_url(client, next_url), email, sub=sub, mfa=mfa)
    return client.get(callback)
