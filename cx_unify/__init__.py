"""cx-unify: one customer reality from four team views, every night."""

__version__ = "0.1.0"
