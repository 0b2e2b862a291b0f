from django.db import migrations

from fangyi.core.roles import sync_role_groups


class Migration(migrations.Migration):
    """Give the roles their checkpoint and alert permissions (core.roles.ROLE_PERMISSIONS)."""

    dependencies = [
        ("checkpoints", "0001_initial"),
        ("core", "0005_diseaseprofile_ratelimithit_alert"),
        ("ledger", "0004_ledgerentry_proposed_measure"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
