import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
LEASE = SCENARIOS / "ip-lease-733m.toml"


def _cli() -> Path:
    env = os.environ.get("IPABS_BIN")
    if env:
        return Path(env)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "ipabs"


@pytest.fixture(scope="session")
def cli():
    """Runs the ipabs CLI (IPABS_BIN, else the release build) and returns its stdout."""
    binary = _cli()
    if not binary.exists():
        pytest.skip(f"the ipabs CLI is not built ({binary}); set IPABS_BIN")

    def run(*args):
        done = subprocess.run(
            [str(binary), *map(str, args)], capture_output=True, text=True, cwd=ROOT
        )
        assert done.returncode == 0, f"ipabs {' '.join(map(str, args))}: {done.stderr}"
        return done.stdout

    return run


@pytest.fixture(scope="session")
def lease():
    import ipabs

    return ipabs.load(str(LEASE))
