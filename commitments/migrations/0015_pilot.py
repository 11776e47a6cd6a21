"""A commitment's pilot is `pilot` in the code (issue #22, one word per concept): the field
`lead` of actions and operational objectives, and of their history, is renamed (data kept, the
column becomes `pilot_id`); the reverse accessors `led_*` of partners become `piloted_*`.
"lead" now means the city project lead only."""

import django.db.models.deletion
from django.db import migrations, models


def pilot_field():
    return models.ForeignKey(
        blank=True,
        null=True,
        on_delete=django.db.models.deletion.SET_NULL,
        related_name="piloted_%(class)ss",
        to="commitments.partner",
        verbose_name="pilote",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0014_section_changed_at"),
    ]

    operations = [
        *(
            migrations.RenameField(model_name=model, old_name="lead", new_name="pilot")
            for model in (
                "action",
                "operationalobjective",
                "historicalaction",
                "historicaloperationalobjective",
            )
        ),
        migrations.AlterField(model_name="action", name="pilot", field=pilot_field()),
        migrations.AlterField(model_name="operationalobjective", name="pilot", field=pilot_field()),
    ]
