"""ProConnect's configuration (perer/env.py `env_proconnect`): the three variables together or
none, a clear error at startup otherwise, an https discovery address (http on the loopback)."""

import functools
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from perer.env import PROCONNECT_VARIABLES, env_proconnect
from tests.test_settings import ROOT, load_settings

DISCOVERY = "https://auth.agentconnect.gouv.fr/api/v2/.well-known/openid-configuration"


@pytest.fixture
def env(monkeypatch):
    for name in PROCONNECT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def configure(env, **values):
    for name, value in values.items():
        env.setenv(f"PROCONNECT_{name.upper()}", value)


def test_absent_or_empty_is_off(env):
    assert env_proconnect() is None
    configure(env, discovery_url=" ", client_id="", client_secret="")
    assert env_proconnect() is None


def test_all_three(env):
    configure(env, discovery_url=DISCOVERY, client_id="id-du-portail", client_secret="secret")
    assert env_proconnect() == {
        "discovery_url": DISCOVERY,
        "client_id": "id-du-portail",
        "client_secret": "secret",
    }


def test_partly_configured_names_what_is_missing(env):
    configure(env, discovery_url=DISCOVERY)
    with pytest.raises(ImproperlyConfigured) as caught:
        env_proconnect()
    assert "PROCONNECT_CLIENT_ID, PROCONNECT_CLIENT_SECRET" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("http://127.0.0.1:8080/api/v2/.well-known/openid-configuration", True),
        ("http://localhost/.well-known/openid-configuration", True),
        ("http://auth.agentconnect.gouv.fr/api/v2/.well-known/openid-configuration", False),
        ("auth.agentconnect.gouv.fr", False),
        ("https://", False),
    ],
)
def test_the_discovery_address(env, url, accepted):
    configure(env, discovery_url=url, client_id="a", client_secret="b")
    if accepted:
        assert env_proconnect()["discovery_url"] == url
    else:
        with pytest.raises(ImproperlyConfigured, match="PROCONNECT_DISCOVERY_URL"):
            env_proconnect()


def test_the_application_refuses_to_start_half_configured():
    result = load_settings(PROCONNECT_CLIENT_ID="id-du-portail")
    assert result.returncode != 0
    assert "ProConnect n'est configuré qu'en partie" in result.stderr
    assert "PROCONNECT_DISCOVERY_URL, PROCONNECT_CLIENT_SECRET" in result.stderr
    result = load_settings(
        PROCONNECT_DISCOVERY_URL=DISCOVERY, PROCONNECT_CLIENT_ID="a", PROCONNECT_CLIENT_SECRET="b"
    )
    assert result.returncode == 0, result.stderr


def test_the_content_security_policy_lets_the_forms_go_on_to_proconnect():
    """The button's and the logout's forms are answered by a redirect to ProConnect, which
    browsers check against form-action (tests/browser/test_proconnect_browser.py)."""
    code = (
        "import perer.settings as s; "
        "print(' '.join(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCONNECT_")}
    run = functools.partial(
        subprocess.run, [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True
    )
    assert run(env=env).stdout.split() == ["'self'"]
    configured = {
        **env,
        "PROCONNECT_DISCOVERY_URL": DISCOVERY,
        "PROCONNECT_CLIENT_ID": "a",
        "PROCONNECT_CLIENT_SECRET": "b",
    }
    assert run(env=configured).stdout.split() == ["'self'", "https://auth.agentconnect.gouv.fr"]
