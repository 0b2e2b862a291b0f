"""Encryption at rest (AES-GCM) and keyed blind indexes (HMAC-SHA256) for personal data.

Both keys are derived from FANGYI_ENCRYPTION_KEY with HKDF, so a leaked index key does not
reveal the encryption key. Ciphertext layout: version byte, 12-byte nonce, AES-GCM output.
"""

import base64
import hashlib
import hmac
import os
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_VERSION = b"\x01"


@cache
def _keys() -> tuple[AESGCM, bytes]:
    try:
        master = base64.b64decode(settings.ENCRYPTION_KEY, validate=True)
    except ValueError:
        raise ImproperlyConfigured("FANGYI_ENCRYPTION_KEY must be base64.") from None
    if len(master) < 32:
        raise ImproperlyConfigured("FANGYI_ENCRYPTION_KEY must decode to at least 32 bytes.")

    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)

    return AESGCM(derive(b"fangyi/aes-gcm/v1")), derive(b"fangyi/blind-index/v1")


def encrypt(plaintext: str, context: str) -> bytes:
    """Encrypt; `context` (e.g. "id_number") is bound as associated data so fields can't be swapped."""
    nonce = os.urandom(12)
    return _VERSION + nonce + _keys()[0].encrypt(nonce, plaintext.encode(), context.encode())


def decrypt(ciphertext: bytes, context: str) -> str:
    blob = bytes(ciphertext)
    if blob[:1] != _VERSION:
        raise ValueError("unknown ciphertext version")
    return _keys()[0].decrypt(blob[1:13], blob[13:], context.encode()).decode()


def blind_index(value: str, context: str) -> str:
    """A deterministic keyed digest for exact lookup; 128 bits as 32 hex characters."""
    mac = hmac.new(_keys()[1], f"{context}\x00{value}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]
