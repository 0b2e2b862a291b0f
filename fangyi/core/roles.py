"""Roles and what each may do. Each role is a Django group (created by a migration) holding
the permissions listed here; `services.set_user_role` keeps a user's group in step with the role.
Which rows a user sees is decided separately, by jurisdiction (see scoping.py)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COUNTY_COMMANDER = "county_commander", _("county commander")
    TOWN_COMMANDER = "town_commander", _("town commander")
    TOWN_CADRE = "town_cadre", _("town cadre")
    VILLAGE_CADRE = "village_cadre", _("village cadre")
    GRID_LEADER = "grid_leader", _("grid leader")
    CHECKPOINT_STAFF = "checkpoint_staff", _("checkpoint staff")
    DOCTOR = "doctor", _("doctor")
    POLICE = "police", _("police")
    VOLUNTEER = "volunteer", _("volunteer")
    ENTERPRISE_CONTACT = "enterprise_contact", _("enterprise contact")
    AUDITOR = "auditor", _("auditor")


_READ_PEOPLE = {"core.view_person", "core.view_jurisdiction"}
_EDIT_PEOPLE = _READ_PEOPLE | {"core.add_person", "core.change_person"}
_REVEAL = {"core.reveal_identity"}
_COMMAND = _EDIT_PEOPLE | _REVEAL | {"core.delete_person", "core.export_full_identity"}

# The screening ledger (fangyi.ledger): village cadres verify and edit entries in their village;
# towns import push lists, dispatch, and export.
_READ_LEDGER = {"ledger.view_ledgerentry", "ledger.view_verificationtask"}
_WORK_LEDGER = _READ_LEDGER | {
    "ledger.add_ledgerentry",
    "ledger.change_ledgerentry",
    "ledger.change_verificationtask",
    "ledger.export_ledger",  # masked unless the role also has core.export_full_identity
}
_RUN_LEDGER = _WORK_LEDGER | {"ledger.view_pushlist", "ledger.add_pushlist"}

# Alerts (a fever at a checkpoint...) are seen and acknowledged by whoever handles them.
_HANDLE_ALERTS = {"core.view_alert", "core.change_alert"}

# Checkpoints (fangyi.checkpoints): staff register at the checkpoints of their jurisdiction;
# the town sets checkpoints up, seals villages and issues passes.
_READ_CHECKPOINTS = {
    "checkpoints.view_checkpoint",
    "checkpoints.view_registration",
    "checkpoints.view_lockdown",
    "checkpoints.view_pass",
}
_REGISTER = _READ_CHECKPOINTS | {"checkpoints.add_registration"}
_RUN_CHECKPOINTS = _REGISTER | {
    "checkpoints.add_checkpoint",
    "checkpoints.change_checkpoint",
    "checkpoints.add_lockdown",
    "checkpoints.change_lockdown",
    "checkpoints.add_pass",
    "checkpoints.change_pass",
}

# Quarantine (fangyi.quarantine): every team member records checks; the town orders, assigns
# and runs the sites; only a doctor signs a release off.
_READ_QUARANTINE = {"quarantine.view_quarantineorder", "quarantine.view_observationsite"}
_CHECK = _READ_QUARANTINE | {"quarantine.add_followup"}
_RUN_QUARANTINE = _CHECK | {
    "quarantine.add_quarantineorder",
    "quarantine.change_quarantineorder",
    "quarantine.add_observationsite",
    "quarantine.change_observationsite",
}
_RELEASE = {"quarantine.release_quarantineorder", "quarantine.add_nucleicacidtest"}

# Tracing (fangyi.tracing): the town's tracing group (cadres, doctors, police) records cases,
# trajectories and contacts; villages see the cases in their village.
_READ_TRACING = {"tracing.view_case"}
_TRACE = _READ_TRACING | {
    "tracing.add_case",
    "tracing.change_case",
    "tracing.add_contact",
    "tracing.change_contact",
}

# Duty rosters (fangyi.roster): the town keeps the staff pool and demand, solves, adjusts,
# publishes and approves swaps; villages read the rosters of their checkpoints. Anyone on the
# duty list sees their own shifts, checks in and asks for swaps through their staff record.
_READ_ROSTER = {"roster.view_roster"}
_RUN_ROSTER = _READ_ROSTER | {
    "roster.add_roster",
    "roster.change_roster",
    "roster.solve_roster",
    "roster.add_staffmember",
    "roster.change_staffmember",
    "roster.change_checkpointdemand",
    "roster.change_swaprequest",
}

# Supplies (fangyi.supplies): villages and checkpoints ask for items, confirm receipt and record
# what they use; the town receives stock and donations, approves and issues, and counts stock.
_READ_SUPPLIES = {"supplies.view_store", "supplies.view_requisition", "supplies.view_donation"}
_USE_SUPPLIES = _READ_SUPPLIES | {
    "supplies.add_requisition",
    "supplies.change_requisition",
    "supplies.issue_stock",
}
_RUN_SUPPLIES = _USE_SUPPLIES | {
    "supplies.add_item",
    "supplies.change_item",
    "supplies.add_store",
    "supplies.change_store",
    "supplies.receive_stock",
    "supplies.adjust_stock",
    "supplies.export_stock",
    "supplies.approve_requisition",
    "supplies.add_donation",
}

# Volunteers and household services (fangyi.volunteers): villages keep their volunteers and
# dispatch requests; a volunteer accepts and delivers the ones given to them or their team.
_SERVE = {"volunteers.view_servicerequest", "volunteers.change_servicerequest"}
_RUN_VOLUNTEERS = _SERVE | {
    "volunteers.view_volunteer",
    "volunteers.add_volunteer",
    "volunteers.change_volunteer",
    "volunteers.add_servicerequest",
    "volunteers.dispatch_servicerequest",
}
_READ_VOLUNTEERS = {"volunteers.view_volunteer", "volunteers.view_servicerequest"}

# Enterprise resumption (fangyi.enterprises): a company's contact fills in and submits its
# filing; the town registers enterprises, files for them, inspects and decides.
_FILE = {"enterprises.view_enterprise", "enterprises.add_filing", "enterprises.change_filing"}
_REVIEW_FILINGS = _FILE | {
    "enterprises.add_enterprise",
    "enterprises.change_enterprise",
    "enterprises.review_filing",
}
_READ_ENTERPRISES = {"enterprises.view_enterprise"}

# The command post (fangyi.command): everyone who runs a jurisdiction reads its dashboard and
# briefings; commanders edit the briefing's notes and publish it.
_READ_COMMAND = {"command.view_dashboard", "command.view_briefing"}
_PUBLISH_BRIEFING = _READ_COMMAND | {"command.publish_briefing"}

ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.COUNTY_COMMANDER: _COMMAND
    | _RUN_LEDGER
    | _RUN_CHECKPOINTS
    | _HANDLE_ALERTS
    | _RUN_QUARANTINE
    | _TRACE
    | _RUN_ROSTER
    | _RUN_SUPPLIES
    | _RUN_VOLUNTEERS
    | _REVIEW_FILINGS
    | _PUBLISH_BRIEFING
    | {"core.change_jurisdiction", "core.add_jurisdiction", "core.change_diseaseprofile"},
    Role.TOWN_COMMANDER: _COMMAND
    | _RUN_LEDGER
    | _RUN_CHECKPOINTS
    | _HANDLE_ALERTS
    | _RUN_QUARANTINE
    | _TRACE
    | _RUN_ROSTER
    | _RUN_SUPPLIES
    | _RUN_VOLUNTEERS
    | _REVIEW_FILINGS
    | _PUBLISH_BRIEFING,
    Role.TOWN_CADRE: _EDIT_PEOPLE
    | _REVEAL
    | _RUN_LEDGER
    | _RUN_CHECKPOINTS
    | _HANDLE_ALERTS
    | _RUN_QUARANTINE
    | _TRACE
    | _RUN_ROSTER
    | _RUN_SUPPLIES
    | _RUN_VOLUNTEERS
    | _REVIEW_FILINGS
    | _READ_COMMAND,
    Role.VILLAGE_CADRE: _EDIT_PEOPLE
    | _REVEAL
    | _WORK_LEDGER
    | _REGISTER
    | _HANDLE_ALERTS
    | _CHECK
    | _READ_TRACING
    | _READ_ROSTER
    | _USE_SUPPLIES
    | _RUN_VOLUNTEERS
    | _READ_ENTERPRISES
    | _READ_COMMAND,
    Role.GRID_LEADER: _EDIT_PEOPLE | _WORK_LEDGER | _READ_CHECKPOINTS | _CHECK | _RUN_VOLUNTEERS,
    # Staff see what they registered masked (no reveal); they cannot read the ledger. They ask
    # for their checkpoint's supplies and record what it uses.
    Role.CHECKPOINT_STAFF: _REGISTER | _USE_SUPPLIES,
    Role.DOCTOR: _READ_PEOPLE
    | _REVEAL
    | _READ_LEDGER
    | _REGISTER
    | _HANDLE_ALERTS
    | _CHECK
    | _RELEASE
    | _TRACE,
    Role.POLICE: _READ_PEOPLE
    | _REVEAL
    | _READ_LEDGER
    | _REGISTER
    | _HANDLE_ALERTS
    | _CHECK
    | _TRACE,
    # A volunteer on a team records the checks of the people they look after (masked).
    # They also carry out the household services given to them or their team.
    Role.VOLUNTEER: _CHECK | _SERVE,
    Role.ENTERPRISE_CONTACT: _FILE,
    # Auditors see who saw what, and the people list masked; they never reveal.
    Role.AUDITOR: _READ_PEOPLE
    | _READ_LEDGER
    | _READ_CHECKPOINTS
    | _READ_QUARANTINE
    | _READ_TRACING
    | _READ_ROSTER
    | _READ_SUPPLIES
    | _READ_VOLUNTEERS
    | _READ_ENTERPRISES
    | _READ_COMMAND
    | {"core.view_auditentry", "ledger.view_pushlist", "core.view_alert"},
}


def sync_role_groups(apps, schema_editor=None) -> None:
    """Migration step: make each role's group hold exactly ROLE_PERMISSIONS[role].

    Any app that adds permissions to a role adds a migration running this again. Tests call it
    with the global app registry after a transactional test flushed the groups away.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True  # a migration's app configs have none; it would skip them
        create_permissions(app_config, verbosity=0)
        app_config.models_module = models_module
    migrated_labels = {app_config.label for app_config in apps.get_app_configs()}
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=str(role))
        wanted = []
        for perm in sorted(perms):
            app_label, codename = perm.split(".")
            found = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is None and app_label in migrated_labels:
                raise LookupError(f"ROLE_PERMISSIONS names {perm}, which does not exist")
            if found is not None:  # else its app is migrated later and runs this again
                wanted.append(found)
        group.permissions.set(wanted)
