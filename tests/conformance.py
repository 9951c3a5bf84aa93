"""Check that the API does what its OpenAPI document says, with Schemathesis.

Starts `student-registry serve` on a free loopback port against a redis-server of its own, runs
`st run .../openapi.json --checks all` with every phase (the stateful one included) twice: with
a fixed seed, which replays the same cases every time, then with a fresh seed and more examples,
which looks further. Stops both servers and exits non-zero when either run found a failure.

    uv run python -m tests.conformance [--header 'Authorization: Bearer ...'] [--examples N]

Without an Authorization header, it makes an administrator in its Redis and sends that
administrator's API token with every request.

Checks that Schemathesis gets wrong for this API are configured in tests/schemathesis.toml,
each with its reason.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import redis

from tests.accounts import ADMIN_EMAIL, sign_up
from tests.live_server import LiveServer
from tests.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[1]
CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = Path(sys.executable).with_name("st")
FIXED_SEED = 20261130


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a header to send with every request, e.g. a token; may be repeated",
    )
    parser.add_argument(
        "--examples",
        type=int,
        default=300,
        help="examples per operation in the fresh run (default: 300)",
    )
    parser.add_argument(
        "--seed", type=int, default=FIXED_SEED, help="the fixed run's seed (default: %(default)s)"
    )
    return parser.parse_args(argv)


def _schemathesis(
    url: str, headers: list[str], extra: list[str]
) -> subprocess.CompletedProcess[bytes]:
    command = [str(SCHEMATHESIS), "--config-file", str(CONFIG), "run", f"{url}/openapi.json"]
    command += ["--checks", "all", "--no-color", "--generation-database", "none"]
    # The students' operations. The accounts' (users, tokens) are not covered yet: run against
    # the one administrator's token, they revoke or demote it half way through the run.
    command += ["--include-path-regex", "^/api/v1/students"]
    for header in headers:
        command += ["--header", header]
    # Run from the repository's root, which holds the hooks module: failures are kept in its
    # .schemathesis/ for `st replay`.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # Output goes straight to the terminal: Schemathesis prints each failure and its summary.
    return subprocess.run([*command, *extra], cwd=ROOT, env=env, check=False)


def main(argv: list[str] | None = None) -> int:
    """Run both passes against a fresh service; 0 when neither found a failure."""
    args = _arguments(argv)
    runs = [
        (f"fixed seed {args.seed}", ["--seed", str(args.seed)]),
        (f"fresh seed, {args.examples} examples an operation", ["-n", str(args.examples)]),
    ]
    store = RedisServer()
    store.start()
    with tempfile.TemporaryDirectory(prefix="sr-conformance-") as scratch:
        server = LiveServer(redis_url=store.url, log_path=Path(scratch) / "server.log")
        failed: list[str] = []
        try:
            server.start()
            for name, extra in runs:
                redis.Redis.from_url(store.url).flushall()
                headers = list(args.header)
                if not any(h.lower().startswith("authorization:") for h in headers):
                    admin = asyncio.run(sign_up(store.url, ADMIN_EMAIL, "admin"))
                    headers.append(f"Authorization: Bearer {admin.token}")
                print(f"\n=== schemathesis: {name}", flush=True)
                if _schemathesis(server.url, headers, extra).returncode != 0:
                    failed.append(name)
        finally:
            server.stop()
            store.cleanup()
            if failed:
                print(f"\nserver log (last lines):\n{server.log_tail()}", flush=True)
    if failed:
        print(f"\nAPI conformance: failures in the run with {' and '.join(failed)}")
        return 1
    print("\nAPI conformance: both runs found no failure")
    return 0


if __name__ == "__main__":
    sys.exit(main())
