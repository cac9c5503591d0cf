"""The error of the cost services: a change the rules refuse; its message is for the user."""

from __future__ import annotations


class CostError(ValueError):
    """A locked year, a bad rule, a missing reason; the message is already translated."""
