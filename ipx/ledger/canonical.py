"""Canonical leaf bytes and the digests that stand in for personal data in the log.

Standard library only: the offline verifier a bank runs imports this module.

Canonical JSON here is ``json.dumps(sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`` encoded as UTF-8, with floats refused. Keys are sorted by code point (Python's
order), which equals RFC 8785's UTF-16 order for every key below U+D800; leaf keys are ASCII
identifiers, so the difference never arises. Numbers are integers or strings: a float has no
single textual form across languages, so money and ratios travel as decimal strings.

Personal data in leaves (decision, see ``digest_personal``): the log is public, so a plain
SHA-256 of an 18-digit resident ID number (about 10^11 plausible values once region codes and
birth dates are fixed) falls to a brute-force search in minutes. Each record therefore gets its
own random 32-byte digest key, stored in the registry database next to the personal data it
protects and never in the log; the leaf holds ``HMAC-SHA256(digest key, value)``. This
- defeats brute force from the public log (the key has 256 bits of entropy);
- keeps the same person's records unlinkable in the public log (a registry-wide key would give
  the same digest every time, revealing who pledges how often);
- lets a party who is given a record's digest key check the leaf offline against the ID they
  know, which a registry-wide secret would not allow without handing out the secret;
- allows erasure without editing the log: deleting the digest key leaves an unlinkable digest.
A database leak exposes the keys, but the same database already holds the raw values.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import unicodedata

DIGEST_KEY_BYTES = 32
_MIN_DIGEST_KEY_BYTES = 16


def canonical_json(obj: object) -> bytes:
    """Serialise ``obj`` as canonical JSON bytes (sorted keys, no spaces, UTF-8).

    Accepts dicts with string keys, lists, tuples, strings, ints, bools and None. Raises
    ``TypeError`` for floats (including NaN and infinities) and any other type, ``ValueError``
    for strings that cannot be encoded as UTF-8 (lone surrogates).
    """
    _check_leaf_value(obj)
    text = json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"leaf text is not valid Unicode: {exc.reason}") from exc


def _check_leaf_value(obj: object) -> None:
    # Iterative walk: leaves are small, but a hostile document must not hit the recursion limit.
    stack = [obj]
    while stack:
        value = stack.pop()
        if isinstance(value, float):
            raise TypeError("floats are not allowed in ledger leaves; use strings or ints")
        if isinstance(value, dict):
            for key in value:
                if not isinstance(key, str):
                    raise TypeError(f"leaf object keys must be strings, not {type(key).__name__}")
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
        elif value is not None and not isinstance(value, str | int):
            raise TypeError(f"{type(value).__name__} is not allowed in ledger leaves")


def parse_canonical_json(text: str | bytes) -> object:
    """Parse leaf text and check it is exactly the canonical form of what it decodes to.

    Raises ``ValueError`` when the text is not valid JSON, holds a float, NaN or a duplicate
    key, or differs from its canonical re-serialisation in any byte (spacing, key order,
    escapes). A verifier relies on this: two different texts must never share one meaning.
    """
    raw = text if isinstance(text, bytes) else _utf8(text)
    try:
        obj = json.loads(
            raw.decode("utf-8"),
            parse_float=_refuse_float,
            parse_constant=_refuse_float,
            object_pairs_hook=_refuse_duplicate_keys,
        )
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"leaf is not valid JSON: {exc}") from exc
    try:
        again = canonical_json(obj)
    except TypeError as exc:
        raise ValueError(str(exc)) from exc
    if again != raw:
        raise ValueError("leaf is not in canonical JSON form")
    return obj


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"leaf text is not valid Unicode: {exc.reason}") from exc


def _refuse_float(token: str) -> object:
    raise ValueError(f"number {token!r} is not an integer; leaves carry no floats")


def _refuse_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("leaf object has a duplicate key")
    return result


def sha256_hex(data: bytes | str) -> str:
    """Lowercase hex SHA-256 of ``data`` (strings are hashed as their UTF-8 bytes)."""
    if isinstance(data, str):
        data = _utf8(data)
    return hashlib.sha256(data).hexdigest()


def new_digest_key() -> bytes:
    """A fresh random per-record digest key (32 bytes) for ``digest_personal``."""
    return secrets.token_bytes(DIGEST_KEY_BYTES)


def digest_personal(value: str, key: bytes) -> str:
    """Hex HMAC-SHA256 of a personal value under the record's digest key.

    ``key`` is the record's own random key (``new_digest_key``), kept outside the log; see the
    module docstring for why. ``value`` is Unicode-NFC-normalised first so the same name typed
    on two systems digests the same; any domain normalisation (upper-case check letter,
    stripped spaces) is the caller's job because only the caller knows the field.
    """
    if not isinstance(value, str):
        raise TypeError("personal value must be a string")
    if not isinstance(key, bytes | bytearray) or len(key) < _MIN_DIGEST_KEY_BYTES:
        raise ValueError(f"digest key must be at least {_MIN_DIGEST_KEY_BYTES} random bytes")
    message = _utf8(unicodedata.normalize("NFC", value))
    return hmac.new(bytes(key), message, hashlib.sha256).hexdigest()
