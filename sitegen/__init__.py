"""trackreport: turn an MLflow tracking store into a static website.

Python API::

    from sitegen import BuildOptions, build
    result = build(BuildOptions(store="./mlruns", out="site"))
    print(result.summary())

The names below are loaded on first use, so ``import sitegen`` (and the command line's
``--help`` and ``--version``) stays light: nothing of the build stack (Jinja2, nh3, the
readers) is imported until a build needs it.

- :func:`build` (``sitegen.builder.pipeline.build``), :class:`BuildOptions`,
  :class:`BuildResult`, :class:`SiteBuilder` (repeated builds in one process);
- :func:`open_store` (``sitegen.readers``): the plain data model of a store
  (``sitegen.entities``);
- publishing: ``sitegen.publish.publish`` (a module of its own);
- errors (``sitegen.errors``): :class:`TrackreportError` and its subclasses
  :class:`StoreError`, :class:`OutputError`, :class:`ConfigError`, :class:`PublishError`,
  each with the command line's ``exit_code``.
"""

from sitegen.version import __version__

_LAZY = {
    "BuildOptions": "sitegen.config",
    "BuildResult": "sitegen.builder.pipeline",
    "SiteBuilder": "sitegen.builder.pipeline",
    "build": "sitegen.builder.pipeline",
    "open_store": "sitegen.readers",
    "TrackreportError": "sitegen.errors",
    "StoreError": "sitegen.errors",
    "OutputError": "sitegen.errors",
    "ConfigError": "sitegen.errors",
    "PublishError": "sitegen.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sitegen' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
