"""The artifact stage: find each run's artifact folder (``locate``: the resolution order is
documented there), list and fetch its files (``listing``, ``objectstore``), classify them
(``kinds``) and read bounded previews (``previews``)."""

from sitegen.artifacts.kinds import classify  # noqa: F401
from sitegen.artifacts.listing import attach_artifacts, copy_into_site, list_artifacts  # noqa: F401
from sitegen.artifacts.locate import artifact_roots, candidate_dirs, logged_nothing, resolve_artifact_dir  # noqa: F401


def __getattr__(name: str):
    """Previews (csv, and markdown through render.text) are loaded when a page is made first:
    a build that makes no page does not pay for their imports."""
    if name in ("attach_previews", "make_preview"):
        from sitegen.artifacts import previews

        return getattr(previews, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
