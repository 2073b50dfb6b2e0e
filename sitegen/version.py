"""trackreport's version: a leaf module (nothing imports from here but this string)."""

__version__ = "0.1.0"
