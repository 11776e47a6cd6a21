"""Templates read from a folder of the test's own, before the project's: to change a template
(or a copy of them all) for one test without touching templates/."""

import shutil
from copy import deepcopy
from pathlib import Path


def read_templates_first_from(settings, folder):
    """Django's engine finds templates in `folder` first (pytest-django's `settings`: restored
    after the test, the engine rebuilt both times)."""
    engine = deepcopy(settings.TEMPLATES[0])
    engine["DIRS"] = [Path(folder), *engine["DIRS"]]
    settings.TEMPLATES = [engine]


def copy_of_the_templates(settings, tmp_path):
    """A copy of templates/ that the engine reads instead of the project's: returns its folder."""
    copy = tmp_path / "templates"
    shutil.copytree(Path(settings.BASE_DIR) / "templates", copy)
    read_templates_first_from(settings, copy)
    return copy
