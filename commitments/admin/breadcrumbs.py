"""The breadcrumb trail of a protocol element's admin form: protocole › section › objectif
stratégique › objectif opérationnel, each a link to its own form.

The ancestors come from the model's `tree` path (commitments/models/paths.py), followed in
memory: the ModelAdmins load them with the object (`with_tree()` / select_related), so the
trail costs no query, whatever the depth.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.text import Truncator, capfirst

CRUMB_LENGTH = 45


@dataclass(frozen=True)
class Crumb:
    kind: str  # the level, for screen readers: "Objectif stratégique"
    text: str
    url: str


def _follow(obj, lookup):
    for step in lookup.split("__"):
        obj = getattr(obj, step)
    return obj


def ancestors(obj):
    """The elements above `obj`, protocol first (none for a protocol)."""
    tree = getattr(type(obj), "tree", None)
    if tree is None or tree.to_section is None:
        return []
    lookups = [tree.protocol, tree.section, *tree.ancestors]
    return [_follow(obj, lookup) for lookup in lookups if lookup]


def trail(obj, site_name="admin"):
    """One Crumb per ancestor of `obj`, top first."""
    return [
        Crumb(
            kind=capfirst(str(node._meta.verbose_name)),
            text=Truncator(str(node)).chars(CRUMB_LENGTH),
            url=reverse(
                f"{site_name}:{node._meta.app_label}_{node._meta.model_name}_change",
                args=[node.pk],
            ),
        )
        for node in ancestors(obj)
    ]
