"""The donation receipt (捐赠收据): an A5-landscape PDF handed to the donor, with the receipt
number, the donor, the items and quantities, the money, the day, the town that received it,
the contact (name and MASKED phone) and a thank-you line.

Printed in the deployment's language (Chinese) whatever language the page is read in, with
Debian's fonts-noto-cjk; WeasyPrint fetches nothing. A receipt carries the donor's contact, so
every download is written to the audit log as an export (`export_donation_receipt`).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fangyi.checkpoints.posters import FONT_FAMILY
from fangyi.core.audit import Actor, record_audit
from fangyi.core.models import AuditAction, Jurisdiction
from fangyi.supplies.donation_selectors import DonatedLine, contact_phone_masked, donated_lines
from fangyi.supplies.models import Donation


@dataclass(frozen=True)
class ReceiptText:
    """Everything the receipt prints, already in the receipt's language."""

    number: str
    donor: str
    donor_kind: str
    contact: str
    lines: list[DonatedLine]
    money: Decimal | None
    day: date
    town: str
    store: str
    received_by: str
    thanks: str
    note: str


def receipt_text(donation: Donation) -> ReceiptText:
    with translation.override(settings.LANGUAGE_CODE):
        town = (
            Jurisdiction.objects.filter(code=donation.store.town_code)
            .values_list("name", flat=True)
            .first()
            or ""
        )
        contact = " ".join(
            part for part in (donation.contact_name, contact_phone_masked(donation)) if part
        )
        clerk = donation.received_by
        return ReceiptText(
            number=donation.receipt_number,
            donor=donation.donor_name,
            donor_kind=str(donation.get_donor_kind_display()),
            contact=contact,
            lines=donated_lines([donation.pk]).get(donation.pk, []),
            money=donation.money,
            day=timezone.localdate(donation.received_at),
            town=town,
            store=donation.store.name,
            received_by=(clerk.full_name or clerk.username) if clerk else "",
            thanks=_(
                "Thank you, %(donor)s, for your generous gift to the people of %(town)s in the "
                "fight against the epidemic. It will be used for epidemic prevention only, and "
                "where it went is published on the town's thank-you list."
            )
            % {"donor": donation.donor_name, "town": town},
            note=donation.note,
        )


def receipt_pdf(donation: Donation) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    text = receipt_text(donation)
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            "supplies/donation_receipt.html", {"text": text, "font_family": FONT_FAMILY}
        )
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).write_pdf()


def export_donation_receipt(actor: Actor, donation: Donation) -> bytes:
    """The receipt for `actor`, written to the audit log (it carries the donor's contact)."""
    if not actor.has_perm("supplies.add_donation"):
        raise PermissionDenied(_("your role may not print donation receipts"))
    content = receipt_pdf(donation)
    record_audit(
        actor,
        AuditAction.EXPORT,
        object_type="supplies.donation",
        object_id=str(donation.external_id),
        object_repr=_("donation receipt %(number)s: %(donor)s")
        % {"number": donation.receipt_number, "donor": donation.donor_name},
        jurisdiction_code=donation.store.jurisdiction_id,
        changes={"document": "donation receipt", "contact": "masked"},
    )
    return content
