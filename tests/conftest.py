"""Shared fixtures. Golden files live in tests/golden/; refresh them with
``pytest --update-goldens`` (then review the diff and commit)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SPEC = ROOT / "specs" / "autogen-review-bot.yaml"
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
TEST_SPECS = Path(__file__).resolve().parent / "specs"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        help="Rewrite golden files from the current output instead of comparing.",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """golden("rules/example.yaml", text): compare text with tests/golden/<path>, or rewrite it."""
    update = request.config.getoption("--update-goldens")

    def check(rel: str, text: str | bytes) -> None:
        data = text.encode("utf-8") if isinstance(text, str) else text
        path = GOLDEN_DIR / rel
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            return
        assert path.is_file(), f"missing golden file {path}; run pytest --update-goldens"
        expected = path.read_bytes()
        assert data == expected, (
            f"output differs from golden {path.relative_to(ROOT)}; if the change is intended, "
            "run pytest --update-goldens and review the diff"
        )

    return check


@pytest.fixture(scope="session")
def example_service():
    from sre_gen.spec import load_service

    return load_service(EXAMPLE_SPEC, "specs/autogen-review-bot.yaml")


def _require_tool(name: str) -> str:
    """Path of a real tool (promtool, amtool). Missing tools fail the test, never skip it:
    .ci/run installs them."""
    path = shutil.which(name)
    assert path, f"{name} is not installed; run .ci/run or the README's test command"
    return path


@pytest.fixture(scope="session")
def require_tool():
    """require_tool("promtool") -> path; fails (never skips) when the tool is missing."""
    return _require_tool


@pytest.fixture(scope="session")
def promtool() -> str:
    return _require_tool("promtool")


@pytest.fixture(scope="session")
def amtool() -> str:
    return _require_tool("amtool")
