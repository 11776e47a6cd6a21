import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from perer.env import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parent.parent


def load_settings(**environ):
    """Import the settings in a fresh interpreter with `environ`; return the completed process."""
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}}
    env.update(environ)
    code = "import perer.settings as s; print(s.DEBUG, s.DATABASES['default']['ENGINE'])"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )


class TestEnvHelpers:
    @pytest.mark.parametrize("raw", ["1", "true", "True", "yes", "on"])
    def test_true_values(self, monkeypatch, raw):
        monkeypatch.setenv("FLAG", raw)
        assert env_bool("FLAG", False) is True

    @pytest.mark.parametrize("raw", ["0", "false", "no", "off", ""])
    def test_false_values(self, monkeypatch, raw):
        monkeypatch.setenv("FLAG", raw)
        assert env_bool("FLAG", True) is False

    def test_bad_bool_fails_loudly(self, monkeypatch):
        monkeypatch.setenv("FLAG", "maybe")
        with pytest.raises(ImproperlyConfigured, match="FLAG='maybe'"):
            env_bool("FLAG", False)

    def test_bad_int_fails_loudly(self, monkeypatch):
        monkeypatch.setenv("NUMBER", "douze")
        with pytest.raises(ImproperlyConfigured, match="NUMBER"):
            env_int("NUMBER", 3)

    def test_default_when_unset(self, monkeypatch):
        monkeypatch.delenv("NUMBER", raising=False)
        assert env_int("NUMBER", 3) == 3

    def test_list(self, monkeypatch):
        monkeypatch.setenv("HOSTS", "a.example.org, b.example.org,")
        assert env_list("HOSTS", []) == ["a.example.org", "b.example.org"]


class TestSettingsModule:
    def test_defaults_need_no_configuration(self):
        result = load_settings()
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["True", "django.db.backends.sqlite3"]

    def test_bad_debug_value_refuses_to_start(self):
        result = load_settings(DEBUG="peut-être")
        assert result.returncode != 0
        assert "DEBUG='peut-être' n'est pas un booléen" in result.stderr

    def test_production_refuses_development_secret_key(self):
        result = load_settings(DEBUG="0")
        assert result.returncode != 0
        assert "SECRET_KEY" in result.stderr

    def test_production_with_real_key_starts(self):
        result = load_settings(DEBUG="0", SECRET_KEY="x" * 60)
        assert result.returncode == 0, result.stderr
        assert result.stdout.split()[0] == "False"

    def test_postgres_url(self):
        result = load_settings(DATABASE_URL="postgres://u@db.example.org:5432/perer")
        assert result.stdout.split()[1] == "django.db.backends.postgresql"

    def test_unknown_database_scheme_fails_loudly(self):
        result = load_settings(DATABASE_URL="nosql://x")
        assert result.returncode != 0
