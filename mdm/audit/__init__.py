"""The audit trail: append-only, hash-chained with a keyed HMAC, verifiable by anyone holding the key."""

from .chain import GENESIS, verify_rows
from .log import append, audit_key

__all__ = ["GENESIS", "append", "audit_key", "verify_rows"]
