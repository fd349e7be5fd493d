"""A plan worth exporting: every task type, two flows (one used twice), connections, secrets,
a plan parameter override and a trigger with overrides of its own."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from connections.models import Connection
from connections.services import connection_create
from flows.models import Flow
from flows.services import flow_create, plan_override_set, webhook_create
from plans.models import Plan
from plans.services import plan_create
from plans.triggers.services import trigger_create

SIGNING_KEY = "SIGNING-KEY-4f1b9c"
AUTH_HEADER = "Bearer HEADER-TOKEN-77aa10"
SLACK_TOKEN = "xoxb-SLACK-TOKEN-0c9e2d"
WEBHOOK_KEY = "WEBHOOK-KEY-5d3e11"
SECRETS = (SIGNING_KEY, AUTH_HEADER, SLACK_TOKEN, WEBHOOK_KEY)

SALES: dict[str, Any] = {
    "parameters": [
        {"name": "region", "type": "string", "default": "eu"},
        {"name": "min", "type": "number", "default": 0},
    ],
    "datasets": [
        {"name": "sales", "connection": "scratch", "path": "data/{region}.csv", "format": "csv"},
        {
            "name": "regions",
            "path": "data/regions.csv",
            "format": "csv",
            "options": {"delimiter": ";"},
        },
    ],
    "recipes": [
        {
            "name": "main",
            "source": {"dataset": "sales"},
            "steps": [
                {"kind": "filter", "expression": "amount > $min"},
                {"kind": "limit", "count": 5},
            ],
        },
        {"name": "top", "source": {"recipe": "main"}, "steps": [{"kind": "limit", "count": 1}]},
    ],
    "outputs": [
        {"name": "daily", "recipe": "main", "path": "out/{region}.csv"},
        {
            "name": "best",
            "recipe": "top",
            "connection": "scratch",
            "path": "out/best.parquet",
            "format": "parquet",
            "mode": "replace",
        },
    ],
}
STOCK: dict[str, Any] = {
    "datasets": [{"name": "stock", "path": "data/stock.json", "format": "json"}],
    "recipes": [{"name": "all", "source": {"dataset": "stock"}, "steps": []}],
    "outputs": [{"name": "copy", "recipe": "all", "path": "out/stock.csv"}],
}


@dataclass
class World:
    plan: Plan
    sales: Flow
    stock: Flow
    team: Connection
    scratch: Connection


def with_connection_ids(definition: dict[str, Any], ids: dict[str, int]) -> dict[str, Any]:
    """A flow definition as `flow_create` takes it: connection names replaced by ids."""
    return {
        kind: [
            {**item, "connection": ids[item["connection"]]} if "connection" in item else item
            for item in items
        ]
        for kind, items in definition.items()
    }


def make_connections(owner: Any) -> tuple[Connection, Connection]:
    team = connection_create(name="team", kind="slack", secrets={"token": SLACK_TOKEN}, owner=owner)
    scratch = connection_create(
        name="scratch", kind="local", settings={"root": "scratch"}, owner=owner
    )
    return team, scratch


def make_world(owner: Any, *, plan_name: str = "Nightly sales") -> World:
    team, scratch = make_connections(owner)
    ids = {"scratch": scratch.pk}
    sales = flow_create(
        owner=owner,
        name="Sales",
        description="Daily sales",
        definition=with_connection_ids(SALES, ids),
    )
    stock = flow_create(owner=owner, name="Stock", definition=STOCK)
    webhook_create(flow=sales, name="Ping", url="https://example.com/ping", secret_key=WEBHOOK_KEY)
    plan = plan_create(
        owner=owner,
        name=plan_name,
        description="Sales, then stock, then tell the team.",
        tasks=[
            {
                "name": "Fetch",
                "type": "http",
                "config": {
                    "method": "POST",
                    "url": "https://example.com/start",
                    "headers": {"Authorization": AUTH_HEADER, "Accept": "application/json"},
                    "body": '{"full": true}',
                    "secretKey": SIGNING_KEY,
                    "successCodes": [200, "3xx"],
                },
            },
            {
                "name": "Build sales",
                "type": "flow",
                "config": {"flow": sales.pk, "outputs": ["daily"]},
            },
            {
                "name": "Rebuild sales",
                "type": "flow",
                "config": {"flow": sales.pk},
                "runWhen": "onFailure",
                "upstream": ["fetch"],
            },
            {"name": "Build stock", "type": "flow", "config": {"flow": stock.pk}},
            {
                "name": "Tell team",
                "type": "slack",
                "config": {
                    "connection": team.pk,
                    "channel": "#data",
                    "message": "Done: {{$plan.name}}",
                },
            },
            {
                "name": "Clean up",
                "type": "delete",
                "config": {"connection": scratch.pk, "path": "tmp/work.csv", "missingOk": True},
                "runWhen": "always",
                "upstream": ["build_sales", "build_stock"],
            },
        ],
    )
    plan_override_set(plan=plan, flow=sales, name="region", value="us")
    trigger_create(
        plan=plan,
        name="Every morning",
        kind="cron",
        cron="0 6 * * *",
        parameter_overrides={"Sales": {"region": "apac"}},
    )
    return World(plan=plan, sales=sales, stock=stock, team=team, scratch=scratch)


def members(data: bytes) -> dict[str, Any]:
    """The package's members, parsed: {"plan.json": {...}, "flows/sales.json": {...}}."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: json.loads(archive.read(name)) for name in archive.namelist()}


def unpacked_bytes(data: bytes) -> bytes:
    """Every member's bytes, uncompressed, one after the other (to search for a value)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


def zip_of(files: dict[str, Any]) -> bytes:
    """A ZIP with the given members; dicts are written as JSON, bytes as they are."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, value in files.items():
            archive.writestr(name, value if isinstance(value, bytes) else json.dumps(value))
    return buffer.getvalue()


def without_stamp(plan_json: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in plan_json.items() if k != "exportedAt"}
