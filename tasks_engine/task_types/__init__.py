"""The engine's task types (HTTP, Slack, Delete), one module each; importing this package
registers them with `plans.task_types` (done by `TasksEngineConfig.ready`)."""

from tasks_engine.task_types import delete, http, slack  # noqa: F401
