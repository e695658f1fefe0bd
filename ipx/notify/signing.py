"""Webhook secrets and signatures, as the Standard Webhooks specification defines them.

A secret is ``whsec_`` + base64 of 32 random bytes. The request's signature header is
``v1,`` + base64(HMAC-SHA256(secret, "{webhook-id}.{webhook-timestamp}.{body}")).

The registry must sign with the secret, so it keeps it recoverable: sealed with AES-GCM under a
key derived (HMAC-SHA256) from the instance's secret (``DIGEST_KEY_FILE``), the subscription's
id in the associated data, so a sealed secret copied onto another row does not open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "whsec_"
_NONCE_BYTES = 12


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_bytes(secret: str) -> bytes:
    """The key bytes of a ``whsec_`` secret; ``ValueError`` if it is not one."""
    if not secret.startswith(PREFIX):
        raise ValueError(f"a secret starts with {PREFIX!r}")
    try:
        raw = base64.b64decode(secret.removeprefix(PREFIX), validate=True)
    except ValueError as exc:
        raise ValueError("a secret is whsec_ followed by base64") from exc
    if not 24 <= len(raw) <= 64:
        raise ValueError("a secret holds 24 to 64 bytes")
    return raw


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header's value."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _sealing_key(instance_secret: bytes) -> bytes:
    return hmac.new(instance_secret, b"ipx webhook secrets v1", hashlib.sha256).digest()


def seal(secret: str, instance_secret: bytes, subscription_id: int) -> bytes:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    aead = AESGCM(_sealing_key(instance_secret))
    return nonce + aead.encrypt(nonce, secret.encode(), str(subscription_id).encode())


def unseal(sealed: bytes, instance_secret: bytes, subscription_id: int) -> str:
    nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    aead = AESGCM(_sealing_key(instance_secret))
    return aead.decrypt(nonce, ciphertext, str(subscription_id).encode()).decode()
