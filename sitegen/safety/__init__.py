"""Keeping what must not be published off the site: secrets (``secrets``, ``redact``)."""
