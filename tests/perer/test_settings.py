"""perer/settings.py: one template engine, Django's, whose compiled templates are kept for the
process by the cached loader, in production (DEBUG=0) as in development."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.template import engines
from django.template.loader import get_template

ROOT = Path(settings.BASE_DIR)
CACHED = "django.template.loaders.cached.Loader"
SOURCES = [
    "django.template.loaders.filesystem.Loader",
    "django.template.loaders.app_directories.Loader",
]

LOADERS_PROBE = """
import json
import django
django.setup()
from django.template import engines
from django.template.loader import get_template
from django.conf import settings
loaders = engines["django"].engine.template_loaders
print(json.dumps({
    "debug": settings.DEBUG,
    "engines": [engine.name for engine in engines.all()],
    "loaders": [type(loader).__module__ + "." + type(loader).__name__ for loader in loaders],
    "sources": [type(loader).__module__ + "." + type(loader).__name__
                for loader in loaders[0].loaders],
    "compiled_once": get_template("base.html").template is get_template("base.html").template,
}))
"""


def _dotted(loader):
    return f"{type(loader).__module__}.{type(loader).__name__}"


def test_one_engine_whose_templates_are_compiled_once():
    assert [engine["BACKEND"] for engine in settings.TEMPLATES] == [
        "django.template.backends.django.DjangoTemplates"
    ]
    # Named in the settings, not left to Django's default (which depends on `loaders` unset).
    assert settings.TEMPLATES[0]["OPTIONS"]["loaders"] == [(CACHED, SOURCES)]
    assert "APP_DIRS" not in settings.TEMPLATES[0]
    loaders = engines["django"].engine.template_loaders
    assert [_dotted(loader) for loader in loaders] == [CACHED]
    assert [_dotted(loader) for loader in loaders[0].loaders] == SOURCES
    assert get_template("base.html").template is get_template("base.html").template


def test_production_keeps_compiled_templates():
    """With DEBUG=0 too: a server process compiles each template once."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(45),
        ALLOWED_HOSTS="perer.example.org",
        DATABASE_URL="sqlite://:memory:",
        DJANGO_SETTINGS_MODULE="perer.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", LOADERS_PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe == {
        "debug": False,
        "engines": ["django"],
        "loaders": [CACHED],
        "sources": SOURCES,
        "compiled_once": True,
    }
