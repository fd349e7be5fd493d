"""Pictures of what happened: a run's graph coloured by job status (`run_graph`), its jobs on a
shared time axis (`timeline`), and a plan's last runs as a grid and a duration chart
(`history`). Each builds plain dataclasses that a template draws as SVG."""
