"""The shape every use case keeps: a handler of at most ~30 lines (DESIGN, STYLE).

Longer handlers read as several jobs at once; the rule is checked here so that it holds as use
cases are added, not by memory in review.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest

from ipx.registry.handlers import HANDLERS

MAX_LINES = 30


def lines_without_docstring(source: str) -> int:
    """The lines of a function's source (its signature included), its docstring left out."""
    source = textwrap.dedent(source)
    function = ast.parse(source).body[0]
    assert isinstance(function, ast.FunctionDef)
    first = function.body[0]
    docstring = 0
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        assert first.end_lineno is not None
        docstring = first.end_lineno - first.lineno + 1
    return len(source.splitlines()) - docstring


@pytest.mark.parametrize(
    "command", sorted(HANDLERS, key=lambda t: t.__name__), ids=lambda t: t.__name__
)
def test_each_use_case_handler_is_at_most_30_lines(command):
    handler = HANDLERS[command].handler
    size = lines_without_docstring(inspect.getsource(handler))
    assert size <= MAX_LINES, f"{handler.__module__}.{handler.__name__} has {size} lines"


def test_the_count_leaves_out_the_docstring_only():
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_LINES))
    assert lines_without_docstring(f"def f():\n{body}") == MAX_LINES + 1
    documented = f'def f():\n    """One line\n\n    and more.\n    """\n{body}'
    assert lines_without_docstring(documented) == MAX_LINES + 1
