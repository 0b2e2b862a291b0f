from django.db import migrations

from fangyi.core.roles import sync_role_groups


class Migration(migrations.Migration):
    """Give the roles their quarantine and tracing permissions (core.roles.ROLE_PERMISSIONS)."""

    dependencies = [
        ("tracing", "0001_initial"),
        ("quarantine", "0001_initial"),
        ("core", "0006_diseaseprofile_close_contact_kind_and_more"),
        ("checkpoints", "0002_role_permissions"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
