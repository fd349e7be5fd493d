"""Parsing of metadata-reference templates: text with ``{{ $root.path | filter }}`` expressions.

The parser is a small hand-written scanner: no ``eval``, no template engine. It is linear
in the length of the text and refuses templates past fixed limits, so hostile input cannot
make it do unbounded work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plans.references.filters import FILTERS

# Limits that keep parsing and rendering bounded whatever a user types.
MAX_TEMPLATE_CHARS = 1_000_000
MAX_REFERENCES = 1_000
MAX_PATH_LENGTH = 32
MAX_FILTERS = 8
MAX_INDEX_DIGITS = 12

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INDEX = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}
_SNIPPET_CHARS = 60

PathSegment = str | int
FilterArg = str | int | float


class ReferenceTemplateError(ValueError):
    """Base class of every error raised by the reference templating engine."""


class ReferenceSyntaxError(ReferenceTemplateError):
    """The text is not a well-formed template.

    ``position`` is the 0-based offset in the text where the problem was found and
    ``snippet`` the piece of text around it (both also appear in the message).
    """

    def __init__(self, message: str, *, position: int = 0, snippet: str = "") -> None:
        super().__init__(message)
        self.position = position
        self.snippet = snippet


class ReferenceResolutionError(ReferenceTemplateError):
    """A well-formed reference cannot be filled from the context given to ``render``.

    The message names the reference as written, e.g.
    ``Cannot fill {{$fetch.response.json.items[3].id}}: index 3 is out of range ...``.
    """


@dataclass(frozen=True)
class Filter:
    """One filter applied after ``|``: its name and its literal arguments."""

    name: str
    args: tuple[FilterArg, ...] = ()


@dataclass(frozen=True)
class Reference:
    """One ``{{ ... }}`` expression.

    ``root`` is the name after ``$`` (``"plan"``, a task ref...), ``path`` the keys (str) and
    list indexes (int) that follow, in order (``.name`` and ``['name']`` both give
    ``"name"``), ``filters`` the filters in the order they apply, and ``source`` the text
    between the braces with surrounding whitespace removed, for messages.
    ``position`` is the offset of the opening ``{{`` in the template.
    """

    root: str
    path: tuple[PathSegment, ...]
    filters: tuple[Filter, ...]
    source: str
    position: int = field(default=0, compare=False)

    @property
    def label(self) -> str:
        """The reference as it should appear in messages: ``{{$plan.name}}``."""
        return "{{" + self.source + "}}"


@dataclass(frozen=True)
class Template:
    """A parsed template: literal strings and references, in text order."""

    text: str
    parts: tuple[str | Reference, ...]

    @property
    def references(self) -> list[Reference]:
        """Every reference of the template, in text order (repeats included)."""
        return [part for part in self.parts if isinstance(part, Reference)]


def format_path(root: str, path: tuple[PathSegment, ...]) -> str:
    """Write a root and path back in template syntax: ``$x.response.headers['Content-Type']``."""
    pieces = ["$", root]
    for segment in path:
        if isinstance(segment, int):
            pieces.append(f"[{segment}]")
        elif _IDENT.fullmatch(segment):
            pieces.append(f".{segment}")
        else:
            escaped = segment.replace("\\", "\\\\").replace("'", "\\'")
            pieces.append(f"['{escaped}']")
    return "".join(pieces)


def parse(text: str) -> Template:
    """Parse ``text`` into a :class:`Template`.

    Text outside ``{{ }}`` is literal; a run of three or more opening braces keeps the extra
    ones literal, so ``{"a": {{{$x|json}}}`` style JSON bodies work. A ``}}`` outside an
    expression is literal too. There is no escape for a literal ``{{``.

    Raises :class:`ReferenceSyntaxError` for a malformed expression (including one without a
    ``$root``, such as ``{{ not a ref }}``), an unknown filter, a filter given the wrong
    number of arguments, or a template beyond the size limits.
    """
    if len(text) > MAX_TEMPLATE_CHARS:
        raise ReferenceSyntaxError(
            f"The text is too long to use references ({len(text)} characters, "
            f"at most {MAX_TEMPLATE_CHARS})"
        )
    parts: list[str | Reference] = []
    reference_count = 0
    literal_start = 0
    while True:
        open_at = text.find("{{", literal_start)
        if open_at < 0:
            break
        while text.startswith("{", open_at + 2):
            open_at += 1
        if open_at > literal_start:
            parts.append(text[literal_start:open_at])
        reference_count += 1
        if reference_count > MAX_REFERENCES:
            message = f"Too many references (at most {MAX_REFERENCES})"
            raise _syntax_error(text, open_at, open_at, message)
        reference, literal_start = _ExpressionParser(text, open_at).parse()
        parts.append(reference)
    if literal_start < len(text):
        parts.append(text[literal_start:])
    return Template(text=text, parts=tuple(parts))


def _syntax_error(text: str, start: int, at: int, message: str) -> ReferenceSyntaxError:
    """Build an error naming the line, column and the expression that starts at ``start``."""
    close = text.find("}}", start + 2, start + _SNIPPET_CHARS)
    if close >= 0:
        snippet = text[start : close + 2]
    else:
        snippet = text[start : start + _SNIPPET_CHARS]
        if start + _SNIPPET_CHARS < len(text):
            snippet += "..."
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    return ReferenceSyntaxError(
        f"{message} at line {line}, column {column}, in {snippet!r}",
        position=at,
        snippet=snippet,
    )


class _ExpressionParser:
    """Reads one expression starting at the ``{{`` at ``start``; see :func:`parse`."""

    def __init__(self, text: str, start: int) -> None:
        self.text = text
        self.start = start
        self.pos = start + 2

    def parse(self) -> tuple[Reference, int]:
        """Return the reference and the offset just after its closing ``}}``."""
        self._skip_spaces()
        if not self._peek("$"):
            raise self._error(
                "Expected a reference such as {{$plan.name}} ('$' and a name) after '{{'"
            )
        self.pos += 1
        root = self._identifier("Expected a name after '$'")
        path = self._path()
        self._skip_spaces()
        filters: list[Filter] = []
        while self._peek("|"):
            if len(filters) >= MAX_FILTERS:
                raise self._error(f"Too many filters (at most {MAX_FILTERS})")
            self.pos += 1
            filters.append(self._filter())
            self._skip_spaces()
        if not self._peek("}}"):
            if self.pos >= len(self.text):
                raise self._error("Unclosed '{{' (missing '}}')")
            raise self._error(f"Unexpected {self.text[self.pos]!r}")
        source = self.text[self.start + 2 : self.pos].strip()
        reference = Reference(
            root=root,
            path=tuple(path),
            filters=tuple(filters),
            source=source,
            position=self.start,
        )
        return reference, self.pos + 2

    def _path(self) -> list[PathSegment]:
        path: list[PathSegment] = []
        while self._peek(".") or self._peek("["):
            if len(path) >= MAX_PATH_LENGTH:
                raise self._error(f"Path too long (at most {MAX_PATH_LENGTH} steps)")
            if self._peek("."):
                self.pos += 1
                path.append(self._identifier("Expected a field name after '.'"))
                continue
            self.pos += 1
            self._skip_spaces()
            if self._peek("'") or self._peek('"'):
                path.append(self._string())
            else:
                path.append(self._index())
            self._skip_spaces()
            if not self._peek("]"):
                raise self._error("Expected ']'")
            self.pos += 1
        return path

    def _filter(self) -> Filter:
        self._skip_spaces()
        at = self.pos
        name = self._identifier("Expected a filter name after '|'")
        self._skip_spaces()
        args: list[FilterArg] = []
        if self._peek("("):
            self.pos += 1
            self._skip_spaces()
            while not self._peek(")"):
                if args:
                    if not self._peek(","):
                        raise self._error("Expected ',' or ')' in the filter arguments")
                    self.pos += 1
                    self._skip_spaces()
                args.append(self._literal())
                self._skip_spaces()
            self.pos += 1
        spec = FILTERS.get(name)
        if spec is None:
            known = ", ".join(sorted(FILTERS))
            raise self._error(f"Unknown filter {name!r} (known: {known})", at=at)
        if len(args) != spec.arity:
            raise self._error(
                f"Filter {name!r} takes {spec.arity} argument(s), got {len(args)}", at=at
            )
        return Filter(name=name, args=tuple(args))

    def _literal(self) -> FilterArg:
        if self._peek("'") or self._peek('"'):
            return self._string()
        match = _NUMBER.match(self.text, self.pos)
        if match is None or len(match.group()) > 2 * MAX_INDEX_DIGITS:
            raise self._error("Expected a quoted string or a number as a filter argument")
        self.pos = match.end()
        return float(match.group()) if match.group(1) else int(match.group())

    def _index(self) -> int:
        match = _INDEX.match(self.text, self.pos)
        if match is None:
            raise self._error("Expected a quoted key or an integer index after '['")
        if len(match.group().lstrip("-")) > MAX_INDEX_DIGITS:
            raise self._error("Index too large")
        self.pos = match.end()
        return int(match.group())

    def _string(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        chars: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == quote:
                self.pos += 1
                return "".join(chars)
            if char == "\\" and self.pos + 1 < len(self.text):
                self.pos += 1
                escaped = self.text[self.pos]
                chars.append(_ESCAPES.get(escaped, escaped))
            else:
                chars.append(char)
            self.pos += 1
        raise self._error("Unterminated string")

    def _identifier(self, message: str) -> str:
        match = _IDENT.match(self.text, self.pos)
        if match is None:
            raise self._error(message)
        self.pos = match.end()
        return match.group()

    def _peek(self, expected: str) -> bool:
        return self.text.startswith(expected, self.pos)

    def _skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _error(self, message: str, *, at: int | None = None) -> ReferenceSyntaxError:
        return _syntax_error(self.text, self.start, self.pos if at is None else at, message)
