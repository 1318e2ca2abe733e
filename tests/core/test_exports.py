"""The package's front door says one thing three ways: `__all__`, the table of names loaded on
first use, and the imports type checkers read. They must agree, and every name must resolve to
an object defined where the table says."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import memories_async

INIT = Path(memories_async.__file__)


def _type_checking_imports() -> dict[str, str]:
    """Name -> relative module, from the `if TYPE_CHECKING:` block of `__init__.py`."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom)
                module = "." * statement.level + (statement.module or "")
                for alias in statement.names:
                    names[alias.asname or alias.name] = module
    return names


def _eager_imports() -> set[str]:
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    return {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.level == 1
        for alias in node.names
    }


def test_the_lazy_table_and_the_type_checking_imports_are_the_same_names_and_modules() -> None:
    assert _type_checking_imports() == memories_async._LAZY


def test_all_is_exactly_the_eager_and_the_lazy_names() -> None:
    exported = set(memories_async.__all__)
    assert len(exported) == len(memories_async.__all__), "a name is listed twice in __all__"
    assert exported == _eager_imports() | set(memories_async._LAZY)


def test_every_exported_name_resolves_and_says_where_it_lives() -> None:
    for name in memories_async.__all__:
        value = getattr(memories_async, name)
        if name in memories_async._LAZY:
            module = importlib.import_module(memories_async._LAZY[name], "memories_async")
            assert getattr(module, name) is value
        owner = getattr(value, "__module__", None)
        if owner is not None and isinstance(value, type):
            # Public classes live in the package (re-exported, not redefined elsewhere).
            assert owner.startswith("memories_async"), (name, owner)


def test_dir_lists_every_export_and_an_unknown_name_fails_plainly() -> None:
    assert set(memories_async.__all__) <= set(dir(memories_async))
    with pytest.raises(AttributeError, match="NoSuchThing"):
        memories_async.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018


def test_importing_the_package_loads_no_lazy_module() -> None:
    code = (
        "import sys, memories_async\n"
        "lazy = {'memories_async' + m for m in set(memories_async._LAZY.values())}\n"
        "print(sorted(lazy & set(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
