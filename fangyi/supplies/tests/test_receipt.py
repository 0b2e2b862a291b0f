"""The donor's receipt PDF: what it prints, that it is audited as an export, who may print it.
A PNG of its page is written to test-output/ (pdftoppm) to be looked at."""

import subprocess

import pytest

from fangyi.conftest import OUTPUT_DIR
from fangyi.core.audit import Actor
from fangyi.core.models import AuditAction, AuditEntry
from fangyi.supplies import services
from fangyi.supplies.services import ReceivedLine
from fangyi.supplies.testing import make_item, make_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def donation(carol, town):
    store = make_store(town)
    return services.receive_donation(
        Actor(user=carol),
        store,
        donor_name="青山实业有限公司",
        donor_kind="company",
        contact_name="周经理",
        contact_phone="13812345678",
        money="5000",
        lines=[
            ReceivedLine(make_item("医用外科口罩"), "10000", batch_number="20200201"),
            ReceivedLine(make_item("84消毒液", unit="瓶", category="disinfection"), "200"),
        ],
    )


def pdf_text(content: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True)
    return done.stdout.decode()


def test_it_prints_the_receipt_and_audits_it(client, carol, donation):
    client.force_login(carol)
    response = client.get(f"/supplies/donations/{donation.external_id}/receipt.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    content = response.content
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    # Printed in Chinese whatever the page language.
    assert "捐赠收据" in text
    for expected in (
        donation.receipt_number,
        "青山实业有限公司",
        "医用外科口罩",
        "10000",
        "84消毒液",
        "200",
        "5000.00",
        "青山镇",
        "周经理",
        "138****5678",
    ):
        assert expected in text, expected
    assert "13812345678" not in text
    assert "谢" in text
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert (entry.object_type, entry.object_id) == ("supplies.donation", str(donation.external_id))
    assert entry.actor == carol and entry.jurisdiction_code == donation.store.jurisdiction_id
    OUTPUT_DIR.mkdir(exist_ok=True)
    (OUTPUT_DIR / "donation-receipt.pdf").write_bytes(content)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "110",
            "-singlefile",
            "-f",
            "1",
            str(OUTPUT_DIR / "donation-receipt.pdf"),
            str(OUTPUT_DIR / "donation-receipt"),
        ],
        check=True,
    )


def test_it_forbids_the_receipt_to_a_village_cadre(client_for, alice, donation):
    response = client_for(alice).get(f"/supplies/donations/{donation.external_id}/receipt.pdf")
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_it_hides_the_receipt_from_another_town(client_for, frank, donation):
    response = client_for(frank).get(f"/supplies/donations/{donation.external_id}/receipt.pdf")
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_it_prints_a_receipt_for_money_only(client, carol, town):
    store = make_store(town)
    gift = services.receive_donation(
        Actor(user=carol), store, donor_name="李大爷", donor_kind="person", lines=[], money="800"
    )
    client.force_login(carol)
    text = pdf_text(client.get(f"/supplies/donations/{gift.external_id}/receipt.pdf").content)
    assert "李大爷" in text and "800.00" in text
