"""perer/settings.py: one template engine, Django's, whose compiled templates are kept for the
process by the cached loader, in production (DEBUG=0) as in development."""

from django.conf import settings
from django.template import engines
from django.template.loader import get_template

from tests.security.test_security import run_python  # a production server's settings

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
    assert run_python(LOADERS_PROBE) == {
        "debug": False,
        "engines": ["django"],
        "loaders": [CACHED],
        "sources": SOURCES,
        "compiled_once": True,
    }
