"""The plan graph: a layered layout of tasks and their upstream edges (`layout`), and the
picture Plan View and Run Details draw from it (`picture`)."""
