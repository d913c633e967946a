"""Command implementations too large for the thin CLI adapter (``sre_gen.cli``)."""
