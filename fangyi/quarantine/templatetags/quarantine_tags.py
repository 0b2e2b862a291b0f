"""Template tags other apps' pages use to show quarantine state."""

from django import template

from fangyi.quarantine.models import QuarantineOrder

register = template.Library()


@register.inclusion_tag("quarantine/_entry_quarantine.html", takes_context=True)
def quarantine_for_entry(context, entry) -> dict:
    """On a ledger entry: the person's running order, or a button to open one (for a role that
    may order quarantine). One query."""
    request = context["request"]
    running = (
        QuarantineOrder.objects.visible_to(request.user)
        .running()
        .filter(person_id=entry.person_id)
        .first()
    )
    return {
        "entry": entry,
        "running": running,
        "can_order": request.user.has_perm("quarantine.add_quarantineorder"),
    }
