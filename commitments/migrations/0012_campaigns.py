"""Reporting rounds are called campaigns in the code, as in the interface (« campagne de suivi »):
ReportingRound → Campaign, RoundFigure → CampaignFigure, their `round` fields → `campaign`.
Data kept (renames only); the constraints named after the models follow their new names (removed before the renames,
which SQLite does by copying the table, and added again after)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0011_indicators"),
        ("territories", "0005_proconnect_link"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="reportinground",
            name="commitments_reportinground_period_in_order",
        ),
        migrations.RemoveConstraint(
            model_name="reportinground",
            name="commitments_reportinground_opens_before_deadline",
        ),
        migrations.RemoveConstraint(
            model_name="roundfigure",
            name="commitments_roundfigure_at_most_one_target",
        ),
        migrations.RemoveConstraint(
            model_name="roundfigure",
            name="commitments_roundfigure_unique_round_action",
        ),
        migrations.RemoveConstraint(
            model_name="roundfigure",
            name="commitments_roundfigure_unique_round_objective",
        ),
        migrations.RemoveConstraint(
            model_name="roundfigure",
            name="commitments_roundfigure_progress_0_100",
        ),
        migrations.RenameModel("ReportingRound", "Campaign"),
        migrations.RenameModel("RoundFigure", "CampaignFigure"),
        migrations.RenameField("campaignfigure", "round", "campaign"),
        migrations.RenameField("notification", "round", "campaign"),
        migrations.AlterModelOptions(
            name="campaignfigure",
            options={
                "ordering": ["campaign", "position"],
                "verbose_name": "chiffre figé",
                "verbose_name_plural": "chiffres figés",
            },
        ),
        migrations.AlterField(
            model_name="campaign",
            name="territories",
            field=models.ManyToManyField(
                blank=True,
                help_text="Laisser vide pour tous les territoires.",
                related_name="campaigns",
                to="territories.territory",
                verbose_name="territoires concernés",
            ),
        ),
        migrations.AddConstraint(
            model_name="campaign",
            constraint=models.CheckConstraint(
                condition=models.Q(("period_start__lte", models.F("period_end"))),
                name="commitments_campaign_period_in_order",
            ),
        ),
        migrations.AddConstraint(
            model_name="campaign",
            constraint=models.CheckConstraint(
                condition=models.Q(("opens_on__lte", models.F("deadline"))),
                name="commitments_campaign_opens_before_deadline",
            ),
        ),
        migrations.AddConstraint(
            model_name="campaignfigure",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("action__isnull", True),
                    ("operational_objective__isnull", True),
                    _connector="OR",
                ),
                name="commitments_campaignfigure_at_most_one_target",
            ),
        ),
        migrations.AddConstraint(
            model_name="campaignfigure",
            constraint=models.UniqueConstraint(
                fields=("campaign", "action"),
                name="commitments_campaignfigure_unique_campaign_action",
            ),
        ),
        migrations.AddConstraint(
            model_name="campaignfigure",
            constraint=models.UniqueConstraint(
                fields=("campaign", "operational_objective"),
                name="commitments_campaignfigure_unique_campaign_objective",
            ),
        ),
        migrations.AddConstraint(
            model_name="campaignfigure",
            constraint=models.CheckConstraint(
                condition=models.Q(("progress__gte", 0), ("progress__lte", 100)),
                name="commitments_campaignfigure_progress_0_100",
            ),
        ),
    ]
