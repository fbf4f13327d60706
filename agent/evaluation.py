"""Placeholder: the `evaluation` front end registers its command(s) here."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's command(s) to the CLI."""
    return None
