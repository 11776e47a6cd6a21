"""The layout of the code, as README's "Architecture" section states it, checked on the sources.

Imports go one way: views, admin, API, commands → services → rendering → selectors →
permissions → models → territories → perer.lib. `territories` never imports `commitments`.
No two modules share a name, apart from the per-app names Django and the project give every app.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("perer", "territories", "commitments")

# Lower layers first; a module may import its own layer and the layers below it.
LAYERS = [
    ("perer.lib", "perer.env"),
    (
        "territories.models",
        "territories.enums",
        "territories.roles",
        "territories.two_factor",
        "territories.accounts",
        "territories.proconnect.oidc",
        "territories.proconnect.admission",
        "territories.changes",
    ),
    ("commitments.models", "commitments.enums"),
    ("commitments.permissions",),
    ("commitments.selectors",),
    ("commitments.rendering",),
    ("commitments.services", "commitments.tasks"),
    (
        "commitments.views",
        "commitments.admin",
        "commitments.api",
        "commitments.management",
        "commitments.templatetags",
        "commitments.apps",
        "territories.admin",
        "territories.management",
        "territories.apps",
        "territories.views",
        "territories.forms",
        "territories.middleware",
        "territories.proconnect",  # its pages and logout middleware (oidc, admission: above)
    ),
    ("perer.urls", "perer.settings", "perer.wsgi", "perer.asgi", "perer.gunicorn"),
]
# Names every app may have: Django's conventions and the project's (enums per app).
PER_APP_NAMES = {"__init__", "apps", "admin", "models", "enums", "tests"}


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts:
                continue
            name = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
            if name not in PACKAGES:  # the apps' own (empty) __init__
                yield name, path


def _layer(module):
    for rank, prefixes in enumerate(LAYERS):
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return rank
    return None


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _project_imports(path):
    return {name for name in _imports(path) if name.split(".")[0] in PACKAGES}


MODULES = dict(_modules())


def test_every_module_has_a_layer():
    assert [name for name in MODULES if _layer(name) is None] == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_the_layers(module):
    own = _layer(module)
    upward = sorted(
        imported
        for imported in _project_imports(MODULES[module])
        if _layer(imported) is not None and _layer(imported) > own
    )
    assert upward == [], f"{module} imports a higher layer"


def test_territories_import_nothing_from_commitments():
    offenders = {
        name: sorted(i for i in _project_imports(path) if i.startswith("commitments"))
        for name, path in MODULES.items()
        if name.startswith("territories")
    }
    migrations = (ROOT / "territories" / "migrations").glob("*.py")
    offenders.update(
        {
            path.name: sorted(i for i in _project_imports(path) if i.startswith("commitments"))
            for path in migrations
        }
    )
    assert {name: found for name, found in offenders.items() if found} == {}


def test_no_name_is_used_for_two_modules():
    by_name = {}
    for module, path in MODULES.items():
        if "commands" in path.parts:
            continue  # management commands are named by their command line
        by_name.setdefault(path.stem, []).append(module)
    shared = {
        name: modules
        for name, modules in by_name.items()
        if len(modules) > 1 and name not in PER_APP_NAMES
    }
    assert shared == {}


def test_commitments_holds_at_most_eight_modules_directly():
    direct = sorted(path.name for path in (ROOT / "commitments").glob("*.py"))
    assert len(direct) <= 8, direct


# --- One home per rule ---------------------------------------------------------------------

# A rule, how its implementation reads in the source, and the only module that may hold it.
ONE_HOME = {
    "« réalisé ⇒ 100 % » (progress_for)": (
        r"Status\.DONE.*(!=|==|=) ?(100|DONE_PROGRESS)\b|(100|DONE_PROGRESS) if .*Status\.DONE",
        "commitments/models/progress.py",
    ),
    "a user's name (display_name, full_name)": (
        r"get_full_name\(",
        "perer/lib/user_names.py",
    ),
    "the stamp of a change of content (record_change)": (
        r"last_changed_at=",
        "commitments/services/content_changes.py",
    ),
    "a stale form (check_version)": (
        r"version\s*!=|!=\s*[\w.]*version\b",
        "perer/lib/concurrency.py",
    ),
}


@pytest.mark.parametrize("rule", sorted(ONE_HOME))
def test_each_rule_has_one_home(rule):
    pattern, home = ONE_HOME[rule]
    found = sorted(
        str(path.relative_to(ROOT))
        for path in MODULES.values()
        if re.search(pattern, path.read_text(encoding="utf-8"))
    )
    assert found == [home], f"{rule}: {found}"


def test_no_model_signal_hides_a_rule():
    """Writes call their services (commitments/services/content_changes.py): no receiver of a
    model's signals; the one signal of the portal's own is sent explicitly by
    territories/admin.py (territories/changes.py)."""
    model_signals = re.compile(r"\b(pre|post)_(save|delete|init)\b|\bm2m_changed\b")
    found = sorted(
        name
        for name, path in MODULES.items()
        if model_signals.search(re.sub(r'"""[\s\S]*?"""', "", path.read_text(encoding="utf-8")))
    )
    assert found == []


# Modules whose tests mirror them one to one: tests/<same path>/test_<module>.py.
MIRRORED = [
    *sorted(p for p in (ROOT / "perer" / "lib").glob("*.py") if p.name != "__init__.py"),
    ROOT / "commitments" / "permissions.py",
]


@pytest.mark.parametrize("source", MIRRORED, ids=lambda path: str(path.relative_to(ROOT)))
def test_the_tests_mirror_the_source(source):
    """perer/lib/text.py is tested in tests/perer/lib/test_text.py, commitments/permissions.py
    in tests/commitments/test_permissions.py: a new module comes with its test file."""
    relative = source.relative_to(ROOT)
    mirrored = ROOT / "tests" / relative.parent / f"test_{relative.name}"
    assert mirrored.is_file(), f"{relative} n'a pas de tests dans {mirrored.relative_to(ROOT)}"
