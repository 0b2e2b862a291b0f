"""A checkpoint's A4 poster: a PDF with its name and code, a PNG whose QR code opens the
checkpoint's public self-registration form."""

import io
import socket
import subprocess

import pytest
import segno
import zxingcpp
from django.urls import reverse
from PIL import Image

from fangyi.checkpoints import posters
from fangyi.checkpoints.testing import make_checkpoint


@pytest.fixture
def gate(village_a):
    return make_checkpoint(village_a, name="东村北口卡点")


def _form_url(checkpoint) -> str:
    return f"http://testserver/checkpoints/self/{checkpoint.code}/"


def _pdf_text(content: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    )
    return done.stdout.decode()


def _decode_qr(image: Image.Image) -> list[str]:
    """The QR codes a real decoder (zxing-cpp) reads in `image`."""
    return [found.text for found in zxingcpp.read_barcodes(image)]


def test_it_serves_an_a4_pdf_with_the_name_and_code(client, alice, gate):
    client.force_login(alice)
    response = client.get(reverse("checkpoints:poster_pdf", args=[gate.code]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"poster-{gate.code}.pdf" in response["Content-Disposition"]
    content = response.content
    assert content.startswith(b"%PDF-")
    text = _pdf_text(content)
    assert "东村北口卡点" in text
    assert gate.code in text
    assert "青山镇 东村" in text
    assert _form_url(gate) in text.replace("\n", "")
    info = subprocess.run(
        ["pdfinfo", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()
    assert "Pages:           1" in info
    assert "(A4)" in info


def test_it_puts_a_readable_qr_code_on_the_pdf(client, alice, gate, tmp_path):
    client.force_login(alice)
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(client.get(reverse("checkpoints:poster_pdf", args=[gate.code])).content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "100", "-singlefile", pdf, tmp_path / "page"], check=True
    )
    assert _decode_qr(Image.open(tmp_path / "page.png")) == [_form_url(gate)]


def test_it_serves_a_png_of_the_same_poster(client, alice, gate):
    client.force_login(alice)
    response = client.get(reverse("checkpoints:poster_png", args=[gate.code]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.verify()
    image = Image.open(io.BytesIO(response.content)).convert("L")
    assert image.size == posters.PNG_SIZE == (1240, 1754)  # A4 at 150 dpi
    # Read the QR modules back from the pixels: they are the form address's code, module by module.
    url = _form_url(gate)
    placement = posters.qr_placement(url, posters.QR_TOP)
    expected = segno.make_qr(url, error="m", boost_error=False).matrix
    assert placement.module_px >= 10  # big enough to scan from a metre away
    px, border = placement.module_px, posters.QR_BORDER
    for y, row in enumerate(expected):
        for x, dark in enumerate(row):
            centre = (
                placement.left + (x + border) * px + px // 2,
                placement.top + (y + border) * px + px // 2,
            )
            assert (image.getpixel(centre) < 128) == bool(dark), (x, y)
    # A real decoder agrees, when one is installed.
    assert _decode_qr(image) == [url]


def test_it_encodes_the_absolute_address_of_this_checkpoints_form(gate, village_b):
    other = make_checkpoint(village_b, name="西村桥头")
    url = _form_url(gate)
    assert posters.qr_code(url).matrix == segno.make_qr(url, error="m", boost_error=False).matrix
    assert posters.qr_code(url).matrix != posters.qr_code(_form_url(other)).matrix
    text = posters.poster_text(gate, url)
    assert text.title == "东村北口卡点" and gate.code in text.code_line
    assert text.place == "青山镇 东村" and text.url == url


def test_it_fits_a_long_name_on_two_lines(village_a):
    long_name = "东村村委会北侧三岔路口临时疫情防控检查登记点"
    checkpoint = make_checkpoint(village_a, name=long_name)
    content = posters.poster_png(checkpoint, _form_url(checkpoint))
    assert Image.open(io.BytesIO(content)).size == posters.PNG_SIZE
    font, lines = posters._title_lines(long_name, 1060)
    assert len(lines) == 2 and "".join(lines) == long_name
    assert all(font.getlength(line) <= 1060 for line in lines)
    assert 2 * posters._line_height(font) <= posters.BAND_HEIGHT - 40  # inside the red band


def test_it_names_a_town_checkpoint_by_its_town(town):
    checkpoint = make_checkpoint(town, name="青山镇高速出口", kind="highway_exit")
    assert posters.place_name(checkpoint) == "青山镇"
    assert "青山镇高速出口" in _pdf_text(posters.poster_pdf(checkpoint, _form_url(checkpoint)))


def test_it_never_fetches_anything_for_the_pdf(gate, monkeypatch):
    attempts = []

    def connect(address, *args, **kwargs):
        attempts.append(address)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "create_connection", connect)
    monkeypatch.setattr(posters, "qr_code", lambda url: _Remote())
    content = posters.poster_pdf(gate, _form_url(gate))
    assert content.startswith(b"%PDF-")
    assert attempts == []


class _Remote:
    """A QR code whose image would have to be downloaded (the poster must not try)."""

    def svg_data_uri(self, **kwargs) -> str:
        return "http://192.0.2.1/qr.svg"
