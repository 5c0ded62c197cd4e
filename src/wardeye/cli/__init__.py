"""The `wardeye` command line."""

from wardeye.cli.main import app, main

__all__ = ["app", "main"]
