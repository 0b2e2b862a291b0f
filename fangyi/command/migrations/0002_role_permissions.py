from django.db import migrations

from fangyi.core.roles import sync_role_groups


class Migration(migrations.Migration):
    """Give the roles their dashboard and briefing permissions (core.roles.ROLE_PERMISSIONS)."""

    dependencies = [
        ("command", "0001_initial"),
        ("enterprises", "0002_role_permissions"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
