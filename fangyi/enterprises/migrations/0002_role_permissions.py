from django.db import migrations

from fangyi.core.roles import sync_role_groups


class Migration(migrations.Migration):
    """Give the roles their supplies, volunteer and enterprise permissions
    (core.roles.ROLE_PERMISSIONS)."""

    dependencies = [
        ("enterprises", "0001_initial"),
        ("supplies", "0001_initial"),
        ("volunteers", "0001_initial"),
        ("roster", "0002_role_permissions"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
