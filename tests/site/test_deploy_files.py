"""The deployment files stay in step with the settings."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def settings_variables() -> set[str]:
    source = (REPO / "orchestration_site" / "settings.py").read_text()
    return set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', source)) | set(
        re.findall(r'database_from_url\(\s*"([A-Z_]+)"', source)
    )


def test_docker_compose_parses_and_runs_the_production_shape() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert "healthcheck" in services[name], f"{name} has no health check"
    assert "orchestration_site.wsgi" in " ".join(services["web"]["command"])
    assert "scheduling.scheduler:TriggerScheduler" in services["beat"]["command"]


def test_every_variable_compose_sets_is_one_the_settings_read() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    known = settings_variables()
    for name, service in compose["services"].items():
        if name in {"postgres", "redis"}:
            continue
        unknown = set(service["environment"]) - known
        assert not unknown, f"{name} sets variables the settings never read: {unknown}"


def test_env_example_documents_every_variable_the_settings_read() -> None:
    example = (REPO / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE))
    missing = settings_variables() - documented
    assert not missing, f".env.example does not document {missing}"
