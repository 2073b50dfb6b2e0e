"""MLflow's run search syntax (``MlflowClient.search_runs(filter_string=…)``), evaluated on the
data model: the same expressions are accepted and rejected, and the same runs returned.

The rules follow MLflow's ``mlflow/utils/search_utils.py`` (``SearchUtils``), and the string is
split into tokens by `sqlparse <https://pypi.org/project/sqlparse/>`_ as MLflow does, so what
MLflow rejects is rejected here too (:class:`SearchError`, with MLflow's reason):

- clauses joined by ``AND`` (there is no ``OR``); each ``<identifier> <comparator> <value>``;
- identifiers ``metrics.<key>``, ``params.<key>``, ``tags.<key>``, ``attributes.<key>`` (also
  ``metric.``, ``param.``/``parameter(s).``, ``tag.``, ``attribute.``/``attr.``/``run.``; no
  prefix means an attribute), ``dataset(s).name|digest|context``; keys with special characters
  in backticks or double quotes (``metrics.`val/loss```);
- metrics: numbers with ``= != < <= > >=``; params and tags: quoted strings with ``= != LIKE
  ILIKE``, and ``IS NULL``/``IS NOT NULL``; attributes ``run_id``, ``run_name`` (also
  ``"run name"``), ``status``, ``user_id``, ``artifact_uri`` as strings (``IN``/``NOT IN``
  for ``run_id``), ``start_time``/``end_time`` (also ``created``) as numbers;
- a run lacking the key never matches (but ``IS NULL``); a metric compares its latest value.

MLflow's client mostly gives the same answers on a file store and a SQLite store (the matrix
in ``tests/search_matrix.py``: ``LIKE`` is case-sensitive on both, a NaN metric value matches
only ``!=``). Where they differ ``matcher`` follows the client on the store kind being built:
``LIKE``'s ``%`` and ``_`` cross newlines only in SQL stores, SQLite's ``ILIKE`` folds ASCII
letters only, and SQL stores search ``run_name`` in the ``mlflow.runName`` tag.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Callable

from sitegen.entities import Run


class SearchError(ValueError):
    """The filter is not valid MLflow search syntax (the message says why, as MLflow does)."""


_TYPES = {
    "metric": "metric",
    "metrics": "metric",
    "parameter": "param",
    "parameters": "param",
    "param": "param",
    "params": "param",
    "tag": "tag",
    "tags": "tag",
    "attribute": "attribute",
    "attributes": "attribute",
    "attr": "attribute",
    "run": "attribute",
    "dataset": "dataset",
    "datasets": "dataset",
}
STRING_ATTRIBUTES = {"run_id", "run_name", "status", "user_id", "artifact_uri", "run name", "Run name", "Run Name"}
NUMERIC_ATTRIBUTES = {"start_time", "end_time", "created", "Created"}
DATASET_KEYS = {"name", "digest", "context"}
SQL_KINDS = {"sqlite", "database"}
COMPARATORS = {
    "metric": {">", ">=", "!=", "=", "<", "<="},
    "param": {"!=", "=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL"},
    "tag": {"!=", "=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL"},
    "string_attribute": {"!=", "=", "LIKE", "ILIKE", "IN", "NOT IN"},
    "numeric_attribute": {">", ">=", "!=", "=", "<", "<="},
    "dataset": {"!=", "=", "LIKE", "ILIKE", "IN", "NOT IN"},
}
_ALIASES = {
    "created": "start_time",
    "Created": "start_time",
    "run name": "run_name",
    "Run name": "run_name",
    "Run Name": "run_name",
}


@dataclass(frozen=True)
class Clause:
    type: str  # metric | param | tag | attribute | dataset
    key: str
    comparator: str  # upper case
    value: object  # float, int, str, tuple of str, or None (IS NULL)


def _unquote(text: str, required: bool = False) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if required:
        raise SearchError(
            f"Parameter value is either not quoted or unidentified quote types used for string value "
            f"{text}. Use either single or double quotes."
        )
    return text


def _unbacktick(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "`" else text


def _identifier(text: str) -> tuple[str, str]:
    kind, dot, key = text.partition(".")
    if not dot:
        kind, key = "attribute", kind
    kind = _TYPES.get(_unbacktick(kind))
    if kind is None:
        raise SearchError(
            f"Invalid entity type '{_unbacktick(text.partition('.')[0])}'. Valid values are "
            "['metric', 'parameter', 'tag', 'attribute', 'dataset']"
        )
    key = _unbacktick(_unquote(key))
    if kind == "attribute" and key not in STRING_ATTRIBUTES | NUMERIC_ATTRIBUTES:
        raise SearchError(f"Invalid attribute key '{key}' specified.")
    if kind == "dataset" and key not in DATASET_KEYS:
        raise SearchError(f"Invalid dataset key '{key}' specified.")
    return kind, key


def _value(kind: str, key: str, token) -> object:
    from sqlparse.sql import Identifier, Parenthesis
    from sqlparse.tokens import Literal

    numeric = token.ttype in (Literal.Number.Integer, Literal.Number.Float)
    string = token.ttype in (Literal.String.Single,) or isinstance(token, Identifier)
    if kind == "metric":
        if not numeric:
            raise SearchError(f"Expected numeric value type for metric. Found {token.value}")
        return float(token.value)
    if kind in ("param", "tag"):
        if string:
            return _unquote(token.value, required=True)
        raise SearchError(f"Expected a quoted string value for {kind} (e.g. 'my-value'). Got value {token.value}")
    if kind == "attribute" and key in NUMERIC_ATTRIBUTES:
        if not numeric:
            raise SearchError(f"Expected numeric value type for numeric attribute: {key}. Found {token.value}")
        return int(token.value) if token.ttype == Literal.Number.Integer else float(token.value)
    if string:
        return _unquote(token.value, required=True)
    if isinstance(token, Parenthesis):
        if kind == "attribute" and key != "run_id":
            raise SearchError("Only ['run_id'] attributes support comparison with a list of quoted string values.")
        try:
            items = ast.literal_eval(token.value)
        except (SyntaxError, ValueError) as e:
            raise SearchError(
                "While parsing a list in the query, expected a non-empty list of string values, but "
                "got ill-formed list."
            ) from e
        items = items if isinstance(items, tuple) else (items,)
        if not items or not all(isinstance(x, str) for x in items):
            raise SearchError("While parsing a list in the query, expected a non-empty list of string values")
        return items
    raise SearchError(f"Expected a quoted string value for {kind} attributes. Got value {token.value}")


def _join(tokens) -> list:
    """MLflow's grouping of ``IN (...)``, ``NOT IN (...)``, ``IS NULL``, ``IS NOT NULL``."""
    from sqlparse.sql import Comparison, Identifier, Parenthesis, Token, TokenList
    from sqlparse.tokens import Keyword

    toks = [t for t in tokens if not t.is_whitespace]
    out, i = [], 0
    while i < len(toks):
        first = toks[i]
        if len(toks) - i < 3 or not isinstance(first, Identifier):
            out.append(first)
            i += 1
            continue
        second, third = toks[i + 1], toks[i + 2]
        if second.match(Keyword, ["IN"]) and isinstance(third, Parenthesis):
            out.append(Comparison(TokenList([first, second, third])))
            i += 3
            continue
        if second.match(Keyword, ["IS"]) and third.match(Keyword, ["NULL"]):
            out.append(Comparison(TokenList([first, Token(Keyword, "IS NULL")])))
            i += 3
            continue
        if second.match(Keyword, ["IS"]) and third.ttype == Keyword and third.value.upper() == "NOT NULL":
            out.append(Comparison(TokenList([first, Token(Keyword, "IS NOT NULL")])))
            i += 3
            continue
        if (
            i + 3 < len(toks)
            and second.match(Keyword, ["NOT"])
            and third.match(Keyword, ["IN"])
            and isinstance(toks[i + 3], Parenthesis)
        ):
            out.append(Comparison(TokenList([first, Token(Keyword, "NOT IN"), toks[i + 3]])))
            i += 4
            continue
        out.extend(toks[i : i + 4])
        i += 4
    return out


def parse(filter_string: str | None) -> list[Clause]:
    """The clauses of an MLflow run filter. Raises :class:`SearchError` for what MLflow rejects."""
    if not filter_string:
        return []
    import sqlparse
    from sqlparse.sql import Comparison, Identifier, Statement
    from sqlparse.tokens import Keyword

    try:
        parsed = sqlparse.parse(filter_string)
    except Exception as e:  # noqa: BLE001 - sqlparse's own errors
        raise SearchError(f"Error on parsing filter '{filter_string}'") from e
    if len(parsed) == 0 or not isinstance(parsed[0], Statement):
        raise SearchError(f"Invalid filter '{filter_string}'. Could not be parsed.")
    if len(parsed) > 1:
        raise SearchError(
            f"Search filter contained multiple expression {filter_string!r}. Provide AND-ed expression list."
        )
    tokens = _join(parsed[0].tokens)
    invalid = [t for t in tokens if not (isinstance(t, Comparison) or t.is_whitespace or t.match(Keyword, ["AND"]))]
    if invalid:
        raise SearchError("Invalid clause(s) in filter string: " + ", ".join(f"'{t}'" for t in invalid))
    clauses = []
    for comparison in (t for t in tokens if isinstance(t, Comparison)):
        parts = [t for t in comparison.tokens if not t.is_whitespace]
        if len(parts) == 2 and parts[1].value.upper() in ("IS NULL", "IS NOT NULL"):
            if not isinstance(parts[0], Identifier):
                raise SearchError(f"Invalid comparison clause. Expected 'Identifier' found '{parts[0]}'")
            kind, key = _identifier(parts[0].value)
            if kind not in ("tag", "param"):
                raise SearchError(
                    f"IS NULL / IS NOT NULL is only supported for tags and params, not for '{kind}' '{key}'"
                )
            clauses.append(Clause(kind, key, parts[1].value.upper(), None))
            continue
        if len(parts) != 3:
            raise SearchError(f"Invalid comparison clause. Expected 3 tokens found {len(parts)}")
        if not isinstance(parts[0], Identifier):
            raise SearchError(f"Invalid comparison clause. Expected 'Identifier' found '{parts[0]}'")
        kind, key = _identifier(parts[0].value)
        comparator = parts[1].value.upper()
        group = f"{'numeric' if key in NUMERIC_ATTRIBUTES else 'string'}_attribute" if kind == "attribute" else kind
        value = _value(kind, key, parts[2])
        if comparator not in COMPARATORS[group]:
            raise SearchError(f"Invalid comparator '{parts[1].value}' not one of '{sorted(COMPARATORS[group])}'")
        clauses.append(Clause(kind, _ALIASES.get(key, key), comparator, value))
    return clauses


def _like_regex(pattern: str, insensitive: bool, store_kind: str) -> re.Pattern:
    """LIKE as the store evaluates it. File store: MLflow's regex (``%`` → ``.*``, ``_`` → ``.``,
    neither crossing a newline, matched with ``re.match``; ILIKE is re.IGNORECASE). SQL stores:
    SQL LIKE (any character, newlines too; the whole value); SQLite's ILIKE is ``lower(x) LIKE
    lower(p)`` with an ASCII-only lower(), so only ASCII letters fold."""
    regex = re.escape(pattern).replace("%", ".*").replace("_", ".")
    if store_kind not in SQL_KINDS:
        regex = ("" if pattern.startswith("%") else "^") + regex + ("" if pattern.endswith("%") else "$")
        return re.compile(regex, re.I if insensitive else 0)
    return re.compile(regex + r"\Z", re.S | (re.I if insensitive and store_kind != "sqlite" else 0))


def _ascii_lower(text: str) -> str:
    return re.sub("[A-Z]+", lambda m: m.group(0).lower(), text)


def _compare(comparator: str, lhs, rhs, store_kind: str = "file") -> bool:
    if comparator == "=":
        return lhs == rhs
    if comparator == "!=":
        return lhs != rhs
    if comparator == ">":
        return lhs > rhs
    if comparator == ">=":
        return lhs >= rhs
    if comparator == "<":
        return lhs < rhs
    if comparator == "<=":
        return lhs <= rhs
    if comparator == "LIKE":
        return _like_regex(rhs, False, store_kind).match(lhs) is not None
    if comparator == "ILIKE" and store_kind == "sqlite":
        return _like_regex(_ascii_lower(rhs), False, store_kind).match(_ascii_lower(lhs)) is not None
    if comparator == "ILIKE":
        return _like_regex(rhs, True, store_kind).match(lhs) is not None
    if isinstance(rhs, tuple) and comparator not in ("IN", "NOT IN"):
        return False
    if comparator == "IN":
        return lhs in rhs
    if comparator == "NOT IN":
        return lhs not in rhs
    raise SearchError(f"Invalid comparator '{comparator}'")


def _clause_matches(run: Run, c: Clause, store_kind: str) -> bool:
    if c.type == "dataset":
        if c.key == "context":
            values = [i.context for i in run.inputs if i.context is not None]
        else:
            values = [getattr(i, c.key) for i in run.inputs]
        return any(v is not None and _compare(c.comparator, v, c.value, store_kind) for v in values)
    if c.type == "metric":
        latest = run.latest_metrics
        lhs = latest.get(c.key)  # NaN compares as IEEE says: only != matches
    elif c.type in ("param", "tag"):
        lhs = (run.params if c.type == "param" else run.tags).get(c.key)
        if c.comparator in ("IS NULL", "IS NOT NULL"):
            return (lhs is None) == (c.comparator == "IS NULL")
    elif c.key == "run_name" and store_kind in SQL_KINDS:
        lhs = run.tags.get("mlflow.runName", run.run_name)  # SQL stores search the tag
    else:
        lhs = getattr(run, c.key)
    if lhs is None:
        return False
    return _compare(c.comparator, lhs, c.value, store_kind)


def matcher(filter_string: str | None, store_kind: str = "file") -> Callable[[Run], bool]:
    """A predicate: does a run match the filter, as MLflow's client on a store of ``store_kind``
    ("file", "sqlite", "database", "rest") would say. Raises :class:`SearchError`."""
    clauses = parse(filter_string)
    lists = [c for c in clauses if isinstance(c.value, tuple) and c.comparator not in ("IN", "NOT IN")]
    if lists and store_kind in SQL_KINDS:
        raise SearchError("A list of values needs IN or NOT IN")  # SQL stores fail; the file store matches nothing
    return lambda run: all(_clause_matches(run, c, store_kind) for c in clauses)
