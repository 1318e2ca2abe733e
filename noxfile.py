"""Developer tasks: `nox -s lint typecheck tests` (what CI checks), more as they land."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (pass pytest options after `--`)."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff's checks and formatting."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package."""
    session.install("-e", ".[test]", "mypy>=1.10")
    session.run("mypy", "--strict", "memories_async")


@nox.session
def bench(session: nox.Session) -> None:
    """The side-by-side benchmarks: prints one table and writes benchmarks/results.json."""
    session.install("-e", ".[test]", "openai")
    session.run("python", "-m", "benchmarks.run", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """The README's first command: install with the emulator extra and run `memories demo`."""
    session.install("-e", ".[emulator]")
    session.run("memories", "demo")


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site (mkdocs-material + mkdocstrings) into site/; --strict, so a broken
    link or an API reference that no longer resolves fails the build."""
    session.install("-e", ".[docs]")
    session.run(
        "mkdocs", "build", "--strict", "--site-dir", "site", env={"NO_MKDOCS_2_WARNING": "1"}
    )
