"""The one switch every import and export entry point asks (API, pages, admin)."""

from __future__ import annotations

DISABLED_MESSAGE = "Import and export of plans are turned off in this workspace."


def import_export_allowed() -> bool:
    """Whether users of this workspace may import and export plans."""
    return True  # The lead wires this to the workspace setting `import_export_enabled` at merge.
