"""The models of a past migration, as a data migration's function receives them, on today's
tables: the fields renamed since (e.g. the pilot, migration 0015) under their new names, so
that a test can call the function in the test's database without migrating back."""

from django.db import connection, migrations
from django.db.migrations.executor import MigrationExecutor


def state_apps(node):
    """The apps at `node` (("commitments", "0004_…")) with every later RenameField applied."""
    loader = MigrationExecutor(connection).loader
    state = loader.project_state(node)
    done = set(loader.graph.forwards_plan(node))
    later = {}  # in the order of the plan, once each
    for leaf in loader.graph.leaf_nodes():
        later.update((key, None) for key in loader.graph.forwards_plan(leaf) if key not in done)
    for key in later:
        for operation in loader.graph.nodes[key].operations:
            # (a model renamed since keeps its old name and fields: only the fields of the
            # models the state still has by that name, such as the commitments')
            if (
                isinstance(operation, migrations.RenameField)
                and (key[0], operation.model_name_lower) in state.models
            ):
                operation.state_forwards(key[0], state)
    return state.apps
