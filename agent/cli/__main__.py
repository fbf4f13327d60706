"""`python -m agent.cli`: the same as the `crosscheck` command."""

from agent.cli import run

run()
