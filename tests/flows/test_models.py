"""Defining flows: the engine's checks at save, the flow task config, webhooks and secrets."""

from __future__ import annotations

from typing import Any

import pytest

from connections.models import Secret
from core.errors import ServiceValidationError
from flows.models import MAX_WEBHOOKS_PER_FLOW, Flow, FlowWebhook
from flows.services import flow_create, webhook_create, webhook_set_secret
from flows.specs import flow_spec_dict
from plans.services import plan_create
from plans.task_types import REGISTRY

pytestmark = pytest.mark.django_db

DEFINITION: dict[str, Any] = {
    "parameters": [{"name": "region", "type": "string", "default": "eu"}],
    "datasets": [{"name": "sales", "path": "data/sales.csv", "format": "csv"}],
    "recipes": [
        {"name": "main", "source": {"dataset": "sales"}, "steps": [{"kind": "limit", "count": 5}]}
    ],
    "outputs": [
        {"name": "first", "recipe": "main", "path": "out/a.csv"},
        {"name": "second", "recipe": "main", "path": "out/b.parquet", "format": "parquet"},
    ],
}


def test_it_turns_a_flow_into_the_engines_spec_with_storage_root_as_default(
    user: Any, settings: Any, tmp_path: Any
) -> None:
    settings.STORAGE_ROOT = tmp_path
    flow = flow_create(owner=user, name="F", definition=DEFINITION)

    spec = flow_spec_dict(flow)

    assert spec["datasets"][0]["location"] == {"kind": "local", "root": str(tmp_path.resolve())}
    assert spec["recipes"] == [
        {"name": "main", "source": {"dataset": "sales"}, "steps": [{"kind": "limit", "count": 5}]}
    ]
    assert [o["name"] for o in spec["outputs"]] == ["first", "second"]


def test_it_refuses_a_flow_the_engine_refuses_and_saves_nothing(user: Any) -> None:
    broken = {**DEFINITION, "recipes": [{"name": "main", "source": {"recipe": "main"}}]}

    with pytest.raises(ServiceValidationError) as raised:
        flow_create(owner=user, name="Loop", definition=broken)

    assert "circle" in raised.value.errors["flow"][0]
    assert not Flow.objects.exists()


def test_flow_names_are_unique(user: Any) -> None:
    flow_create(owner=user, name="Same", definition=DEFINITION)

    with pytest.raises(ServiceValidationError, match="already exists"):
        flow_create(owner=user, name="Same", definition=DEFINITION)


def test_the_flow_task_keeps_output_names_and_ids_and_refuses_unknown_ones(user: Any) -> None:
    flow = flow_create(owner=user, name="F", definition=DEFINITION)
    second = flow.outputs.get(name="second")

    clean, errors = REGISTRY["flow"].clean_config({"flow": flow.pk, "outputs": [second.pk]})
    _, bad = REGISTRY["flow"].clean_config({"flow": flow.pk, "outputs": ["third"], "x": 1})
    _, missing = REGISTRY["flow"].clean_config({"flow": 999_999})

    assert errors == {}
    assert clean == {
        "flow": flow.pk,
        "flowName": "F",
        "outputs": ["second"],
        "outputIds": [second.pk],
    }
    assert bad == {"outputs": ["The flow 'F' has no output 'third'."], "x": ["Unknown field."]}
    assert missing == {"flow": ["No flow with id 999999."]}


def test_a_plan_with_a_flow_task_of_a_missing_flow_is_refused(user: Any) -> None:
    with pytest.raises(ServiceValidationError) as raised:
        plan_create(owner=user, name="P", tasks=[{"name": "t", "type": "flow", "config": {}}])

    assert raised.value.errors["tasks[0].config.flow"] == ["Choose a flow."]


def test_webhooks_check_references_and_stop_at_the_limit(user: Any) -> None:
    flow = flow_create(owner=user, name="F", definition=DEFINITION)

    with pytest.raises(ServiceValidationError) as raised:
        webhook_create(flow=flow, name="w", url="https://example.com/{{$output.rows}}")
    assert "unknown field 'rows'" in raised.value.errors["url"][0]

    FlowWebhook.objects.bulk_create(
        FlowWebhook(flow=flow, name=f"w{i}", url="https://example.com/")
        for i in range(MAX_WEBHOOKS_PER_FLOW)
    )
    with pytest.raises(ServiceValidationError, match="at most 50 webhooks"):
        webhook_create(flow=flow, name="one more", url="https://example.com/")


def test_a_webhook_secret_is_replaced_by_a_new_row_and_removed(user: Any) -> None:
    flow = flow_create(owner=user, name="F", definition=DEFINITION)
    webhook = webhook_create(
        flow=flow, name="w", url="https://example.com/", outputs=["first"], secret_key="one"
    )
    first = webhook.secret_id

    webhook_set_secret(webhook=webhook, secret_key="two")
    second = webhook.secret_id
    webhook_set_secret(webhook=webhook, secret_key=None)

    assert first is not None and second is not None and first != second
    assert webhook.secret_id is None
    assert not Secret.objects.filter(pk__in=[first, second]).exists()
    assert list(webhook.outputs.values_list("name", flat=True)) == ["first"]
    assert webhook.all_outputs is False
