"""Flow SQL is checked when a flow is saved or imported, not first when it runs: the service,
the admin and plan-package import refuse it with an error naming the step, and save nothing."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.urls import reverse

from core.errors import ServiceValidationError
from flows.models import Flow, RecipeStep
from flows.services import flow_create
from plans.models import Plan
from tests.packages.builders import zip_of

pytestmark = pytest.mark.django_db

# What the review got through import: each is refused only when run today.
REFUSED = [
    ("sql", "SELECT * FROM read_csv('/etc/passwd')", "table function read_csv() is not allowed"),
    ("sql", "SELECT * FROM '/etc/passwd'", "may only read input"),
    ("sql", "COPY input TO '/tmp/stolen.csv'", "only a single SELECT"),
    ("sql", "ATTACH '/tmp/other.db' AS other", "only a single SELECT"),
    ("sql", "SELECT * FROM input; SELECT 1", "only a single SELECT"),
    ("filter", "getenv('HOME') <> ''", "getenv() is not allowed"),
    ("derive", "(SELECT count(*) FROM read_parquet('/x.parquet'))", "not allowed"),
]


def definition(kind: str, text: str) -> dict[str, Any]:
    field = "query" if kind == "sql" else "expression"
    step = {"kind": kind, field: text, **({"column": "c"} if kind == "derive" else {})}
    return {
        "datasets": [{"name": "sales", "path": "data/sales.csv", "format": "csv"}],
        "recipes": [
            {
                "name": "main",
                "source": {"dataset": "sales"},
                "steps": [{"kind": "limit", "count": 5}, step],
            }
        ],
        "outputs": [{"name": "out", "recipe": "main", "path": "out/x.csv"}],
    }


@pytest.mark.parametrize(("kind", "text", "message"), REFUSED)
def test_the_flow_service_refuses_unsafe_sql_naming_the_step(
    user: Any, kind: str, text: str, message: str
) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        flow_create(owner=user, name="Sneaky", definition=definition(kind, text))

    field = "query" if kind == "sql" else "expression"
    [(path, [error])] = caught.value.errors.items()
    assert path == f"recipes[0].steps[1].{field}"
    assert error.startswith(f"Recipe main, step 2 ({kind}):") and message in error
    assert not Flow.objects.exists()


def test_the_flow_service_accepts_sql_over_its_input(user: Any) -> None:
    flow = flow_create(
        owner=user,
        name="Fine",
        definition=definition("sql", "SELECT region, sum(amount) AS total FROM input GROUP BY 1"),
    )

    assert flow.recipes.get().steps.count() == 2


@pytest.mark.parametrize(("kind", "text", "message"), REFUSED[:4])
def test_import_refuses_unsafe_sql_naming_the_file_and_step(
    user: Any, api_client: Any, kind: str, text: str, message: str
) -> None:
    package = zip_of(
        {
            "plan.json": {
                "formatVersion": 1,
                "name": "Imported",
                "tasks": [{"name": "Build", "type": "flow", "config": {"flow": "sneaky"}}],
                "flows": {"sneaky": {"name": "Sneaky"}},
            },
            "flows/sneaky.json": {"name": "Sneaky", **definition(kind, text)},
        }
    )

    response = api_client(user).post(
        "/v4/plans/package", {"file": io.BytesIO(package)}, format="multipart"
    )

    assert response.status_code == 400, response.json()
    details = response.json()["error"]["details"]
    [error] = details["flows/sneaky.json:recipes[0].steps[1].query"]
    assert error.startswith("Recipe main, step 2 (sql):") and message in error
    assert not Flow.objects.exists() and not Plan.objects.exists()


def test_the_admin_refuses_an_unsafe_step_on_its_row(client: Any, staff_user: Any) -> None:
    flow = flow_create(
        owner=staff_user, name="Edited", definition=definition("sql", "SELECT * FROM input")
    )
    recipe = flow.recipes.get()
    client.force_login(staff_user)
    steps = list(recipe.steps.order_by("position"))
    form = {
        "flow": flow.pk,
        "name": recipe.name,
        "source_kind": recipe.source_kind,
        "source_name": recipe.source_name,
        "steps-TOTAL_FORMS": "3",
        "steps-INITIAL_FORMS": "2",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
        "steps-2-position": "3",
        "steps-2-kind": "sql",
        "steps-2-options": '{"query": "SELECT * FROM read_csv(\'/etc/passwd\')"}',
    }
    for index, step in enumerate(steps):
        form.update(
            {
                f"steps-{index}-id": step.pk,
                f"steps-{index}-recipe": recipe.pk,
                f"steps-{index}-position": step.position,
                f"steps-{index}-kind": step.kind,
                f"steps-{index}-options": json.dumps(step.options),
            }
        )

    response = client.post(reverse("admin:flows_recipe_change", args=[recipe.pk]), form)

    assert response.status_code == 200  # the form again, with the error on the step's row
    assert (
        "Step 3 (sql): the table function read_csv() is not allowed." in response.content.decode()
    )
    assert RecipeStep.objects.filter(recipe=recipe).count() == 2
