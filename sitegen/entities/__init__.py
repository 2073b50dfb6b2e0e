"""The plain data model every reader returns and every renderer consumes, in MLflow's terms
(``mlflow.entities``): :class:`Store` → :class:`Experiment` → :class:`Run` (params, tags,
:class:`MetricHistory` per key, :class:`DatasetInput`), :class:`LoggedModel`,
:class:`RegisteredModel` → :class:`ModelVersion`, :class:`Trace` → :class:`Span`.

Nothing here knows where the data came from: readers build these objects, the renderers only
read them. Values are kept exactly as MLflow's client returns them (metric values are floats
that may be NaN or ±inf; times are ms since the epoch). Modules: ``metrics``, ``runs``,
``models``, ``traces``, ``store``.
"""

from sitegen.entities.metrics import INF_LIMIT, MetricHistory, MetricPoint, sort_value  # noqa: F401
from sitegen.entities.models import LoggedModel, ModelMetric, ModelVersion, RegisteredModel  # noqa: F401
from sitegen.entities.runs import RUN_STATUSES, ArtifactFile, DatasetInput, Preview, Run  # noqa: F401
from sitegen.entities.store import STALE_AFTER_MS, Experiment, Store, mark_stale_runs  # noqa: F401
from sitegen.entities.traces import Span, Trace  # noqa: F401
