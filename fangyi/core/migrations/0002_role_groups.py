"""One Django group per role, holding the role's permissions (fangyi.core.roles)."""

from django.db import migrations

from fangyi.core.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
