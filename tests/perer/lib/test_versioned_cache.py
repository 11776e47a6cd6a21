"""perer/lib/versioned_cache.py: a value cached under its content version."""

import uuid

from perer.lib.versioned_cache import cached_under


class Loader:
    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return f"valeur {self.calls}"


def test_a_version_loads_once_then_serves_the_cached_value():
    name, load = f"essai-{uuid.uuid4()}", Loader()
    assert cached_under(7, name, load) == "valeur 1"
    assert cached_under(7, name, load) == "valeur 1"
    assert load.calls == 1


def test_a_new_version_loads_again_without_deleting_anything():
    name, load = f"essai-{uuid.uuid4()}", Loader()
    cached_under(7, name, load)
    assert cached_under(8, name, load) == "valeur 2"
    assert cached_under(7, name, load) == "valeur 1"  # the old entry simply expires
    assert load.calls == 2


def test_without_a_version_every_call_loads():
    name, load = f"essai-{uuid.uuid4()}", Loader()
    assert [cached_under(None, name, load) for _ in range(2)] == ["valeur 1", "valeur 2"]
