"""Runnable examples of the three books; see examples/README.md. Shared helpers: examples.common."""
