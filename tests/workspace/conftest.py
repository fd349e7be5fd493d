"""Fixtures for the workspace tests: a plan to look at."""

from __future__ import annotations

from typing import Any

import pytest

from plans.models import Plan
from plans.services import plan_create


@pytest.fixture
def plan(user: Any) -> Plan:
    task = {"name": "Export", "type": "http", "config": {"url": "http://127.0.0.1:9/none"}}
    return plan_create(owner=user, name="Nightly export", tasks=[task])
