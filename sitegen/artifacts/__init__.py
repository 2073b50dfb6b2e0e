"""The artifact stage: find each run's artifact folder (``locate``), list and fetch its files
(``listing``, ``objectstore``), classify them (``kinds``) and read bounded previews
(``previews``).

Resolution order for a run's artifact folder (the first that exists wins):

1. the recorded ``artifact_uri`` itself: an absolute path, a ``file://`` URI, or a
   relative path (tried against the store's folder, then the working folder);
2. under ``--artifacts DIR``: ``DIR/<tail>`` for the tails of the recorded location
   that start at the experiment id (``<exp>/<run>/artifacts``) or the run id
   (``<run>/artifacts``); for ``mlflow-artifacts:/<path>`` also ``DIR/<path>``;
3. next to the store: the file store's own ``<exp>/<run>/artifacts``, or for a
   database store ``mlruns/``, ``mlartifacts/`` and ``artifacts/`` beside the database
   with the same tails.

A run whose folder is found nowhere gets a warning on its page; an empty or absent
folder of a run that logged nothing is not a problem.
"""

from sitegen.artifacts.kinds import classify  # noqa: F401
from sitegen.artifacts.listing import attach_artifacts, copy_into_site, list_artifacts  # noqa: F401
from sitegen.artifacts.locate import artifact_roots, candidate_dirs, logged_nothing, resolve_artifact_dir  # noqa: F401
from sitegen.artifacts.previews import attach_previews, make_preview  # noqa: F401
