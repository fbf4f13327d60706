"""Runtime dependencies injected into the graph and the commands (never module globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from agent.settings import Settings
from agent.store import Embedder, StoreError, VectorStore

T = TypeVar("T")


class UserError(RuntimeError):
    """An error the user can fix; the CLI prints it without a traceback."""


@dataclass
class Services:
    settings: Settings
    store: VectorStore
    embedder: Embedder
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        return cls(settings=settings, store=VectorStore(settings), embedder=Embedder(settings.embedding))

    def guard(self, fn: Callable[[], T]) -> T:
        """Run fn, turning store and user errors into a clean CLI message."""
        import typer
        from rich.console import Console
        from rich.markup import escape

        try:
            return fn()
        except (StoreError, UserError) as exc:
            Console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2) from None
