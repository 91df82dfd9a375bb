"""Secrets shown once in a link (a share link's, an invitation's): made here, and
stored only as their digest, so a copy of the database opens nothing."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

# Longer than any token made here: what is longer is no token (and is not hashed).
TOKEN_MAX_LENGTH = 64


def new_token() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored of a token: its SHA-256, in hex. The token is 256 random
    bits, so a fast unsalted hash is enough (nothing to guess from it), and it is
    looked up by an index, like the token it stands for."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_digest_of(value: Any) -> str | None:
    """The digest to look ``value`` up by, or ``None`` for what cannot be a token
    (not text, empty, too long)."""
    if not isinstance(value, str) or not 0 < len(value) <= TOKEN_MAX_LENGTH:
        return None
    return token_digest(value)
