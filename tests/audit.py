"""Reading the audit trail straight from Redis, as the tests check it."""

from __future__ import annotations

import redis

from student_registry.store import keys


def trail(redis_url: str, kind: str = "") -> list[dict[str, str]]:
    """The entries of the trail (whose action code starts with `kind`: s for students), oldest
    first, with their ids and their fields by full name."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        raw = client.xrange(keys.audit_stream())
    finally:
        client.close()
    return [
        {"id": entry_id, **{keys.AUDIT_FIELDS[k]: v for k, v in fields.items()}}
        for entry_id, fields in raw
        if fields["o"].startswith(kind)
    ]


def actions(redis_url: str, kind: str = "") -> list[str]:
    """The actions of the trail's entries (see trail), oldest first, spelled out."""
    return [keys.AUDIT_ACTIONS[entry["action"]] for entry in trail(redis_url, kind)]
