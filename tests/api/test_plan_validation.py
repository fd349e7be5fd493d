"""Bad input is a 400 naming each bad field, never a 500, and saves nothing."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from plans.models import Plan, PlanTask
from tests.api.conftest import EXAMPLE_PLAN_BODY

pytestmark = pytest.mark.django_db


def with_config(**changes: Any) -> dict[str, Any]:
    """The issue's example body with its task's config changed (a None value removes a key)."""
    body = copy.deepcopy(EXAMPLE_PLAN_BODY)
    config = body["tasks"][0]["config"]
    for key, value in changes.items():
        config[key] = value
    return body


BAD_TASK_CONFIGS = [
    pytest.param(with_config(url="not a url"), "tasks[0].config.url", id="invalid-url"),
    pytest.param(with_config(url="ftp://example.com/x"), "tasks[0].config.url", id="ftp-url"),
    pytest.param(with_config(url=""), "tasks[0].config.url", id="empty-url"),
    pytest.param(with_config(method="FETCH"), "tasks[0].config.method", id="unknown-method"),
    pytest.param(
        with_config(timeoutSeconds=-5), "tasks[0].config.timeoutSeconds", id="negative-timeout"
    ),
    pytest.param(with_config(timeoutSeconds=0), "tasks[0].config.timeoutSeconds", id="timeout-0"),
    pytest.param(
        with_config(timeoutSeconds=3601), "tasks[0].config.timeoutSeconds", id="timeout-3601"
    ),
    pytest.param(
        with_config(timeoutSeconds="abc"), "tasks[0].config.timeoutSeconds", id="timeout-abc"
    ),
    pytest.param(
        with_config(timeoutSeconds=2.5), "tasks[0].config.timeoutSeconds", id="timeout-fraction"
    ),
    pytest.param(with_config(retries=-1), "tasks[0].config.retries", id="negative-retries"),
    pytest.param(with_config(headers=["X-A", "1"]), "tasks[0].config.headers", id="headers-list"),
    pytest.param(
        with_config(headers=[{"name": "X-A", "value": "1"}]),
        "tasks[0].config.headers",
        id="headers-list-of-pairs",
    ),
    pytest.param(
        with_config(headers={"X-A": {"nested": 1}}),
        "tasks[0].config.headers",
        id="header-object-value",
    ),
    pytest.param(
        with_config(headers={"bad name": "1"}), "tasks[0].config.headers", id="header-bad-name"
    ),
    pytest.param(with_config(method="GET"), "tasks[0].config.body", id="body-on-get"),
    pytest.param(
        with_config(validateSsl="yes"), "tasks[0].config.validateSsl", id="validate-ssl-text"
    ),
    pytest.param(with_config(colour="blue"), "tasks[0].config.colour", id="unknown-config-field"),
]


@pytest.mark.parametrize(("body", "field"), BAD_TASK_CONFIGS)
def test_create_refuses_a_bad_task_config_naming_the_field(
    user: Any, api_client: Any, body: dict, field: str
) -> None:
    response = api_client(user).post("/v4/plans", body, format="json")

    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["details"], error["details"]
    assert error["message"].startswith(field)
    assert not Plan.objects.exists() and not PlanTask.objects.exists()


@pytest.mark.parametrize(("body", "field"), BAD_TASK_CONFIGS)
def test_patch_refuses_a_bad_task_config_and_keeps_the_old_tasks(
    user: Any, api_client: Any, make_plan: Callable, body: dict, field: str
) -> None:
    plan = make_plan()
    before = list(plan.tasks.values("pk", "name", "config"))

    response = api_client(user).patch(
        f"/v4/plans/{plan.pk}", {"tasks": body["tasks"]}, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert list(plan.tasks.values("pk", "name", "config")) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({**EXAMPLE_PLAN_BODY, "tasks": []}, "tasks", id="no-tasks"),
        pytest.param({"name": "No tasks key"}, "tasks", id="tasks-missing"),
        pytest.param({**EXAMPLE_PLAN_BODY, "tasks": {"a": 1}}, "tasks", id="tasks-object"),
        pytest.param({**EXAMPLE_PLAN_BODY, "tasks": ["x"]}, "tasks[0]", id="task-not-object"),
        pytest.param({**EXAMPLE_PLAN_BODY, "name": ""}, "name", id="blank-name"),
        pytest.param({**EXAMPLE_PLAN_BODY, "name": 12}, "name", id="numeric-name"),
        pytest.param({**EXAMPLE_PLAN_BODY, "name": None}, "name", id="null-name"),
        pytest.param({**EXAMPLE_PLAN_BODY, "name": "x" * 201}, "name", id="long-name"),
        pytest.param(
            {**EXAMPLE_PLAN_BODY, "description": ["a"]}, "description", id="list-description"
        ),
        pytest.param({**EXAMPLE_PLAN_BODY, "owner": 3}, "owner", id="unknown-field"),
        pytest.param(
            {**EXAMPLE_PLAN_BODY, "tasks": [{**EXAMPLE_PLAN_BODY["tasks"][0], "type": "ftp"}]},
            "tasks[0].type",
            id="unknown-type",
        ),
        pytest.param(
            {**EXAMPLE_PLAN_BODY, "tasks": [{**EXAMPLE_PLAN_BODY["tasks"][0], "config": "GET /"}]},
            "tasks[0].config",
            id="config-not-object",
        ),
        pytest.param(
            {**EXAMPLE_PLAN_BODY, "tasks": [{**EXAMPLE_PLAN_BODY["tasks"][0], "ref": "Bad Ref"}]},
            "tasks[0].ref",
            id="bad-ref",
        ),
        pytest.param(
            {**EXAMPLE_PLAN_BODY, "tasks": [{**EXAMPLE_PLAN_BODY["tasks"][0], "runWhen": "never"}]},
            "tasks[0].runWhen",
            id="bad-run-when",
        ),
        pytest.param(
            {
                **EXAMPLE_PLAN_BODY,
                "tasks": [{**EXAMPLE_PLAN_BODY["tasks"][0], "upstream": ["later"]}],
            },
            "tasks[0].upstream",
            id="unknown-upstream",
        ),
        pytest.param(
            {**EXAMPLE_PLAN_BODY, "tasks": [{**EXAMPLE_PLAN_BODY["tasks"][0], "name": 7}]},
            "tasks[0].name",
            id="numeric-task-name",
        ),
    ],
)
def test_create_refuses_bad_plan_fields_naming_them(
    user: Any, api_client: Any, body: dict, field: str
) -> None:
    response = api_client(user).post("/v4/plans", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"], response.json()
    assert not Plan.objects.exists()


def test_it_names_every_bad_field_at_once(user: Any, api_client: Any) -> None:
    body = with_config(url="nope", method="FETCH")
    body["name"] = ""
    body["tasks"].append(
        {
            "name": "Second",
            "type": "http",
            "config": {"url": "https://ok.example", "timeoutSeconds": 0},
        }
    )

    details = api_client(user).post("/v4/plans", body, format="json").json()["error"]["details"]

    assert {
        "name",
        "tasks[0].config.url",
        "tasks[0].config.method",
        "tasks[1].config.timeoutSeconds",
    } <= set(details)


@pytest.mark.parametrize(
    "raw",
    ['{"name": "x", "tasks": [', "not json", '{"name": "x",}', "\x00\x01"],
)
def test_malformed_json_is_a_400(user: Any, api_client: Any, make_plan: Callable, raw: str) -> None:
    client = api_client(user)
    plan = make_plan()
    for method, url in [
        ("post", "/v4/plans"),
        ("patch", f"/v4/plans/{plan.pk}"),
        ("post", f"/v4/plans/{plan.pk}/run"),
    ]:
        response = getattr(client, method)(url, raw, content_type="application/json")
        assert response.status_code == 400, (method, url)
        assert response.json()["error"]["code"] == "parse_error"
    assert Plan.objects.count() == 1 and plan.runs.count() == 0


@pytest.mark.parametrize("body", ["[1, 2]", '"a plan"', "42", "null"])
def test_a_body_that_is_not_an_object_is_a_400(user: Any, api_client: Any, body: str) -> None:
    response = api_client(user).post("/v4/plans", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["details"]
    assert not Plan.objects.exists()


def test_a_non_json_content_type_is_refused(user: Any, api_client: Any) -> None:
    response = api_client(user).post(
        "/v4/plans", "name=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda b: b["tasks"][0]["config"].update(url="https://example.com/\x00"),
            "tasks[0].config.url",
        ),
        (lambda b: b["tasks"][0]["config"].update(body="a\x00b"), "tasks[0].config.body"),
        (
            lambda b: b["tasks"][0]["config"].update(headers={"X-A": "\x00"}),
            "tasks[0].config.headers.X-A",
        ),
        (lambda b: b["tasks"][0].update(name="a\x00"), "tasks[0].name"),
        (lambda b: b.update(description="a\x00"), "description"),
    ],
)
def test_a_nul_character_is_a_400_naming_where_it_is(
    user: Any, api_client: Any, change: Callable[[dict], None], field: str
) -> None:
    # PostgreSQL cannot store NUL in text or jsonb: without this check the save would fail.
    body = copy.deepcopy(EXAMPLE_PLAN_BODY)
    change(body)
    response = api_client(user).post("/v4/plans", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not Plan.objects.exists()


@pytest.mark.parametrize("type_", [[], {}, 3])
def test_a_task_type_that_is_not_text_is_a_400(user: Any, api_client: Any, type_: Any) -> None:
    body = {"name": "x", "tasks": [{"name": "a", "type": type_}]}

    response = api_client(user).post("/v4/plans", body, format="json")

    assert response.status_code == 400
    assert "tasks[0].type" in response.json()["error"]["details"]
    assert not Plan.objects.exists()
