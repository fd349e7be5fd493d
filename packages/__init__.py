"""Plan packages: a plan exported as a ZIP (plan.json + one file per flow) and imported back.

`export.py` builds a package, `reading.py` opens an uploaded one safely, `importing.py` turns it
into a new plan through the same services as the editor (`import_flows.py`: its flows),
`format.py` holds the file format's names and version, `views.py` the pages. The format is described in
docs/export-format.md.
"""
