from django.db import migrations

from fangyi.core.roles import sync_role_groups


class Migration(migrations.Migration):
    """Give the roles their roster permissions (core.roles.ROLE_PERMISSIONS)."""

    dependencies = [
        ("roster", "0001_initial"),
        ("tracing", "0002_role_permissions"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
