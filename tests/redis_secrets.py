"""Redis's users and passwords as deploy/redis/make-secrets makes them for Compose."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAKE_SECRETS = ROOT / "deploy" / "redis" / "make-secrets"


def make_secrets(directory: Path) -> Path:
    """Run the script into `directory`, readable by this test run; the directory."""
    subprocess.run(
        ["sh", str(MAKE_SECRETS), str(directory)], check=True, capture_output=True, env={
            "PATH": "/usr/bin:/bin", "API_UID": "0"
        }
    )  # fmt: skip
    return directory


def password(secrets: Path, user: str) -> str:
    """A user's password, as the script wrote it."""
    return (secrets / user / "password").read_text()
