"""Append-only audit trail: hash-chained entries, signed checkpoints, verification."""
