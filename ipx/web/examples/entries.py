"""The shapes the example modules fill in: an operation's entry and its links."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Link:
    """An OpenAPI link from an operation's answer to a next operation."""

    operation_id: str
    parameters: Mapping[str, str]  # the target's parameter -> a runtime expression
    description: str = ""

    def to_doc(self) -> dict:
        doc: dict[str, Any] = {
            "operationId": self.operation_id,
            "parameters": dict(self.parameters),
        }
        if self.description:
            doc["description"] = self.description
        return doc


@dataclass(frozen=True)
class Operation:
    """The document's words on one operation, beyond its schemas."""

    operation_id: str
    description: str
    request: Any = None  # an example request body (None: the operation takes none)
    response: Any = None  # an example of its success answer
    parameters: Mapping[str, Any] = field(default_factory=dict)  # path and query examples
    links: Mapping[str, Link] = field(default_factory=dict)  # from the success answer
    rules: Mapping[str, str] = field(default_factory=dict)  # field -> rule beyond the schema
    errors: Mapping[int, Any] = field(default_factory=dict)  # status -> an example problem


def by_id(name: str, expression: str = "$response.body#/id", **more: str) -> dict[str, str]:
    """Link parameters: ``name`` from the answer's ``id`` (or ``expression``), and ``more``."""
    return {name: expression, **more}
