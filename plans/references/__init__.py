"""Metadata references: ``{{ $root.path | filter }}`` expressions inside task configs.

Syntax
    Text outside ``{{ }}`` is literal. Inside, whitespace is allowed around the expression
    and around ``|``. An expression is ``$`` and a root name, then a path of ``.name``,
    ``['any key']`` / ``["any key"]`` (backslash escapes the next character; ``\\n``, ``\\t``,
    ``\\r`` as usual) and integer indexes ``[0]`` (negative counts from the end), then
    filters ``|name`` or ``|name(args)`` applied left to right. Examples::

        {{$plan.name}}   {{ $fetch.response.headers['Content-Type'] }}
        {{$fetch.response.json.items[0].id | default('none')}}
        {"text": {{$plan.name|json}}}   (valid JSON whatever the name holds)

    ``{{`` must start a reference: ``{{ not a ref }}`` is a syntax error.
    Filters are ``humanizeDuration``, ``json`` and ``default('...')``; see
    :mod:`plans.references.filters` for their exact behaviour.

Roots
    ``$plan``, one per upstream task ref (``[a-z][a-z0-9_]*``), and ``$flow``, ``$job``,
    ``$output`` for flow webhooks. Those four names are reserved: task refs are checked by
    ``plans.refs.ref_problem``, not here.

Use
    - :func:`validate` when a config is saved (with :func:`plan_schema`, :func:`task_schema`);
    - :func:`references_in` to learn which tasks a config depends on;
    - :func:`render` / :func:`render_in` when a job runs, with a context of plain data
      (build an HTTP task's ``response`` with :func:`response_context`).
"""

from __future__ import annotations

from plans.references.filters import humanize_duration
from plans.references.render import render, render_in, strings_in
from plans.references.schema import (
    FieldSchema,
    plan_schema,
    references_in,
    task_schema,
    validate,
)
from plans.references.syntax import (
    Filter,
    Reference,
    ReferenceResolutionError,
    ReferenceSyntaxError,
    ReferenceTemplateError,
    Template,
    format_path,
    parse,
)
from plans.references.values import HeaderMap, LazyValue, Unavailable, response_context

__all__ = [
    "FieldSchema",
    "Filter",
    "HeaderMap",
    "LazyValue",
    "Reference",
    "ReferenceResolutionError",
    "ReferenceSyntaxError",
    "ReferenceTemplateError",
    "Template",
    "Unavailable",
    "format_path",
    "humanize_duration",
    "parse",
    "plan_schema",
    "references_in",
    "render",
    "render_in",
    "response_context",
    "strings_in",
    "task_schema",
    "validate",
]
