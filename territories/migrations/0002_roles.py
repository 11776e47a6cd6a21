"""The two roles of the admin as Django groups: "Agglomération" and "Chef de projet ville"."""

from django.db import migrations


def create_role_groups(apps, schema_editor):
    from territories.roles import sync_role_groups_migrating

    # Permissions are normally created after all migrations (post_migrate): created now.
    sync_role_groups_migrating(apps)


def delete_role_groups(apps, schema_editor):
    from territories.roles import ROLE_PERMISSIONS

    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("territories", "0001_initial"),
        ("commitments", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_role_groups, delete_role_groups)]
