"""The import-layering check: every app imports only from the apps below it.

`python -m orchestration_site.layers` prints each import against the grain (module-level and
inside functions alike) and exits 1 if there is one; `make lint` runs it.

Two kinds of module:
- domain modules (models, services, selectors, the engine, ...) import only from their own app
  and from apps on lower layers;
- presentation modules (`views.py`, `admin.py`, `forms.py`, `urls.py`, `templatetags/`, `api/`
  and `management/commands/`) are the pages layer on top of every app: one layer, so they may
  import any app's modules (Plan View composes the sections of triggers, e-mails, packages
  and flows), but never `api`.
Nothing imports `api` or `orchestration_site` except `orchestration_site` itself.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. Apps on one layer may not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("core",),
    ("audit",),
    ("workspace",),
    ("connections",),
    ("plans",),
    ("runs",),
    ("notifications",),
    ("tasks_engine",),
    ("scheduling",),
    ("flows",),
    ("packages",),
    ("api",),
    ("orchestration_site",),
)
LAYER_OF = {app: index for index, apps in enumerate(LAYERS) for app in apps}
PRESENTATION_FILES = {"views.py", "admin.py", "forms.py", "urls.py"}
PRESENTATION_DIRS = {"templatetags", "commands", "admin", "views", "pages"}
TOP_ONLY = {"api", "orchestration_site"}


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    imported: str
    inside_function: bool
    why: str

    def __str__(self) -> str:
        where = "inside a function" if self.inside_function else "at module level"
        return f"{self.path}:{self.line}: imports {self.imported} ({where}): {self.why}"


def is_presentation(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    if parts[0] == "api" or parts[0] == "orchestration_site":
        return True
    return path.name in PRESENTATION_FILES or any(p in PRESENTATION_DIRS for p in parts[1:-1])


def _imports(tree: ast.AST) -> Iterator[tuple[str, int, bool]]:
    """(module, line, inside a function) for every absolute import of the tree."""

    def walk(node: ast.AST, in_function: bool) -> Iterator[tuple[str, int, bool]]:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, child.lineno, in_function
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                for alias in child.names:
                    # `from app import module` imports app.module: judge the module.
                    sub = ROOT.joinpath(*child.module.split("."), alias.name)
                    is_module = sub.is_dir() or sub.with_suffix(".py").is_file()
                    name = f"{child.module}.{alias.name}" if is_module else child.module
                    yield name, child.lineno, in_function
            yield from walk(child, nested)

    yield from walk(tree, False)


def _module_is_presentation(module: str) -> bool:
    parts = module.split(".")
    if parts[0] in TOP_ONLY:
        return True
    last = parts[-1] + ".py"
    return last in PRESENTATION_FILES or any(p in PRESENTATION_DIRS for p in parts[1:])


def check_file(path: Path) -> list[Violation]:
    app = path.relative_to(ROOT).parts[0]
    if app == "orchestration_site":
        return []  # the site wires every app together
    own_layer = LAYER_OF[app]
    presentation = is_presentation(path)
    tree = ast.parse(path.read_text(), str(path))
    found: list[Violation] = []
    for module, line, in_function in _imports(tree):
        target = module.split(".")[0]
        if target not in LAYER_OF or target == app:
            if target == app and not presentation and _module_is_presentation(module):
                why = "a domain module imports a presentation module"
                found.append(Violation(_rel(path), line, module, in_function, why))
            continue
        if target in TOP_ONLY:
            why = f"nothing below imports {target}"
        elif presentation:
            continue
        elif LAYER_OF[target] >= own_layer:
            why = f"{app} (layer {own_layer}) may import only lower layers, not {target}"
        else:
            continue
        found.append(Violation(_rel(path), line, module, in_function, why))
    return found


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def project_files() -> Iterator[Path]:
    for app in LAYER_OF:
        folder = ROOT / app
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def check() -> list[Violation]:
    found = [violation for path in project_files() for violation in check_file(path)]
    return list(dict.fromkeys(found))  # `from x import a, b` is one import


def main() -> int:
    violations = check()
    for violation in violations:
        print(violation)
    inside = sum(v.inside_function for v in violations)
    print(
        f"{len(violations)} imports against the layers "
        f"({len(violations) - inside} at module level, {inside} inside functions)"
    )
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
