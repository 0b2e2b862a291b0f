from django.db import migrations

from fangyi.core.roles import sync_role_groups


class Migration(migrations.Migration):
    """Give the roles their ledger permissions (fangyi.core.roles.ROLE_PERMISSIONS)."""

    dependencies = [("ledger", "0001_initial"), ("core", "0003_audit_actor_survives_user_deletion")]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
