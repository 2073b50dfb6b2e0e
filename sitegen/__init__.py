"""trackreport: turn an MLflow tracking store into a static website.

Python API::

    from sitegen import BuildOptions, build
    result = build(BuildOptions(store="./mlruns", out="site"))
    print(result.summary())

See ``sitegen.pipeline.build`` for details.
"""
__version__ = "0.1.0"

from .config import BuildOptions  # noqa: E402
from .pipeline import BuildResult, build  # noqa: E402

__all__ = ["BuildOptions", "BuildResult", "build", "__version__"]
