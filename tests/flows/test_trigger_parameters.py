"""A trigger's own flow parameter overrides, set on its edit page."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from flows.services import plan_override_set
from plans.models import Trigger
from plans.triggers.services import trigger_create
from runs.models import RunSource
from runs.services import run_plan
from tests.flows.test_parameters import make_flow, make_plan

pytestmark = pytest.mark.django_db


def setup(user: Any) -> tuple[Any, Any, Trigger]:
    flow = make_flow(user)
    plan = make_plan(user, flow)
    plan_override_set(plan=plan, flow=flow, name="min", value="5")
    trigger = trigger_create(plan=plan, name="Nightly", kind="cron", cron="0 2 * * *")
    return flow, plan, trigger


def test_the_edit_page_lists_each_parameter_with_what_the_trigger_inherits(
    client: Any, user: Any
) -> None:
    flow, _, trigger = setup(user)
    client.force_login(user)

    page = client.get(reverse("plans:trigger_edit", args=[trigger.pk])).content.decode()

    section = page[page.index('id="trigger-parameters"') :]
    assert f'name="value:{flow.pk}:region" value="" placeholder="eu"' in section
    assert '<code>5</code> <span class="muted small">(plan)</span>' in section
    assert f'name="value:{flow.pk}:day"' in section and 'type="date"' in section


def test_saving_sets_the_filled_values_and_the_next_run_uses_them(client: Any, user: Any) -> None:
    flow, plan, trigger = setup(user)
    client.force_login(user)

    response = client.post(
        reverse("flows:trigger_parameters", args=[trigger.pk]),
        {
            f"value:{flow.pk}:region": "us",
            f"value:{flow.pk}:min": "7.5",
            f"value:{flow.pk}:day": "",
        },
    )

    trigger.refresh_from_db()
    assert response.status_code == 302
    assert trigger.parameter_overrides == {"Sales": {"region": "us", "min": 7.5}}
    run = run_plan(plan=plan, source=RunSource.SCHEDULE, trigger=trigger, enqueue=False)
    assert run.snapshot["types"]["flow"]["trigger"] == {"Sales": {"region": "us", "min": 7.5}}


def test_a_bad_value_saves_nothing_and_is_named_next_to_its_box(client: Any, user: Any) -> None:
    flow, _, trigger = setup(user)
    client.force_login(user)

    response = client.post(
        reverse("flows:trigger_parameters", args=[trigger.pk]),
        {f"value:{flow.pk}:region": "us", f"value:{flow.pk}:min": "lots"},
        HTTP_HX_REQUEST="true",
    )

    trigger.refresh_from_db()
    assert response.status_code == 400
    assert trigger.parameter_overrides == {}
    assert 'class="error"' in response.content.decode()
    assert 'value="lots"' in response.content.decode()  # what was typed stays


def test_a_viewer_cannot_change_a_triggers_overrides(
    client: Any, user: Any, viewer: Any, share: Any
) -> None:
    flow, plan, trigger = setup(user)
    share(plan, viewer)
    client.force_login(viewer)

    response = client.post(
        reverse("flows:trigger_parameters", args=[trigger.pk]), {f"value:{flow.pk}:region": "us"}
    )

    trigger.refresh_from_db()
    assert response.status_code == 403
    assert trigger.parameter_overrides == {}
