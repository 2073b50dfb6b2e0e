"""MLflow's integer codes, as stores write them (``mlflow.entities.RunStatus``,
``SourceType``, ``LoggedModelStatus``): the file store's meta.yaml keeps run status and source
type as integers, and logged models' status is an integer in every store."""

STATUS_BY_CODE = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
SOURCE_TYPE_BY_CODE = {1: "NOTEBOOK", 2: "JOB", 3: "PROJECT", 4: "LOCAL", 1000: "UNKNOWN"}
# MLflow 3 logged models record their status as an integer.
LOGGED_MODEL_STATUS = {0: "UNSPECIFIED", 1: "PENDING", 2: "READY", 3: "FAILED"}

# A deleted model version is kept with this stage (``STAGE_DELETED_INTERNAL`` in
# ``mlflow/entities/model_registry/model_version_stages.py``); MLflow's client never returns it.
DELETED_VERSION_STAGE = "Deleted_Internal"
