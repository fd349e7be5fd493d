from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest

from plans.references import (
    FieldSchema,
    Filter,
    LazyValue,
    Reference,
    ReferenceResolutionError,
    ReferenceSyntaxError,
    Unavailable,
    humanize_duration,
    parse,
    plan_schema,
    references_in,
    render,
    render_in,
    response_context,
    strings_in,
    task_schema,
    validate,
)
from plans.references.syntax import MAX_REFERENCES
from plans.task_types import REGISTRY


def make_context(body: str = '{"items": [{"id": 7, "value": "a"}, {"id": 8}]}') -> dict[str, Any]:
    return {
        "plan": {
            "name": "Nightly sync",
            "id": 42,
            "runId": 1001,
            "url": "https://plans.example/runs/1001",
            "startTime": "2025-03-01T02:00:00+00:00",
            "duration": 3725,
            "user": "",
            "taskCount": 3,
            "name with spaces": "spaced",
        },
        "fetch": {
            "name": "Fetch orders",
            "status": "succeeded",
            "statusCode": 200,
            "response": response_context(
                body=body, headers={"Content-Type": "application/json", "X-Count": "2"}
            ),
        },
    }


SCHEMA = {
    "plan": plan_schema(),
    "fetch": task_schema(REGISTRY["http"].offers),
    "load": task_schema(REGISTRY["slack"].offers),
}


# Parsing


def test_it_parses_dotted_paths_into_root_and_path() -> None:
    template = parse("Run {{$plan.name}} ({{$plan.id}})")

    assert template.references == [
        Reference(root="plan", path=("name",), filters=(), source="$plan.name"),
        Reference(root="plan", path=("id",), filters=(), source="$plan.id"),
    ]
    assert template.parts[0] == "Run "
    assert template.parts[-1] == ")"


def test_it_parses_brackets_with_either_quote_and_integer_indexes() -> None:
    [reference] = parse("{{$x.response.json.path.to[0]['a b'][\"c'd\"][-1].value}}").references

    assert reference.path == ("response", "json", "path", "to", 0, "a b", "c'd", -1, "value")


def test_it_allows_whitespace_inside_braces_and_around_filters() -> None:
    [reference] = parse("{{  $plan.duration |  humanizeDuration | default( 'n/a' )  }}").references

    assert reference.source == "$plan.duration |  humanizeDuration | default( 'n/a' )"
    assert reference.filters == (Filter("humanizeDuration"), Filter("default", ("n/a",)))


def test_it_unescapes_quotes_inside_bracket_keys_and_filter_arguments() -> None:
    [reference] = parse(r"{{$plan['it\'s'] | default('a \'b\'\n')}}").references

    assert reference.path == ("it's",)
    assert reference.filters == (Filter("default", ("a 'b'\n",)),)


def test_it_keeps_literal_braces_around_an_expression_and_stray_closing_braces() -> None:
    template = parse('{"a": {{{$plan.id}}}} }}')

    assert template.parts == ('{"a": {', template.references[0], "}} }}")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{{ not a ref }}", "Expected a reference such as {{$plan.name}}"),
        ("{{}}", "Expected a reference"),
        ("{{$}}", "Expected a name after '$'"),
        ("{{$plan.}}", "Expected a field name after '.'"),
        ("{{$plan[x]}}", "Expected a quoted key or an integer index"),
        ("{{$plan['name'}}", "Expected ']'"),
        ("{{$plan['name}}", "Unterminated string"),
        ("{{$plan.name", "Unclosed '{{'"),
        ("{{$plan.name extra}}", "Unexpected 'e'"),
        ("{{$plan.name|upper}}", "Unknown filter 'upper'"),
        ("{{$plan.name|default}}", "Filter 'default' takes 1 argument(s), got 0"),
        ("{{$plan.name|json('x')}}", "Filter 'json' takes 0 argument(s), got 1"),
        ("{{$plan.name|default(nope)}}", "Expected a quoted string or a number"),
    ],
)
def test_it_rejects_malformed_expressions_with_a_message(text: str, fragment: str) -> None:
    with pytest.raises(ReferenceSyntaxError) as caught:
        parse(text)

    assert fragment in str(caught.value)


def test_it_names_the_line_column_and_snippet_of_a_syntax_error() -> None:
    with pytest.raises(ReferenceSyntaxError) as caught:
        parse("Hello\nthere {{ not a ref }} and more")

    assert "line 2, column 10" in str(caught.value)
    assert caught.value.snippet == "{{ not a ref }}"
    assert caught.value.position == len("Hello\nthere {{ ")


# Rendering


def test_it_renders_plan_fields_and_keeps_literal_text() -> None:
    text = "Plan {{$plan.name}} #{{ $plan.id }} by '{{$plan.user}}' ({{$plan.taskCount}} tasks)"

    assert render(text, make_context()) == "Plan Nightly sync #42 by '' (3 tasks)"


def test_it_renders_bracket_keys_with_spaces() -> None:
    assert render("{{$plan['name with spaces']}}", make_context()) == "spaced"
    assert render('{{$plan["name with spaces"]}}', make_context()) == "spaced"


def test_it_renders_headers_whatever_their_case() -> None:
    context = make_context()

    assert render("{{$fetch.response.headers['Content-Type']}}", context) == "application/json"
    assert render('{{$fetch.response.headers["content-type"]}}', context) == "application/json"


def test_it_follows_a_json_path_with_indexes() -> None:
    context = make_context()

    assert render("{{$fetch.response.json.items[0].value}}", context) == "a"
    assert render("{{$fetch.response.json.items[-1].id}}", context) == "8"


def test_it_writes_scalars_objects_and_datetimes_in_their_text_form() -> None:
    context: dict[str, Any] = {
        "x": {
            "yes": True,
            "no": False,
            "none": None,
            "ratio": 0.5,
            "obj": {"a": [1, "é"]},
            "when": dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.UTC),
            "took": dt.timedelta(seconds=90),
        }
    }
    text = "{{$x.yes}} {{$x.no}} [{{$x.none}}] {{$x.ratio}} {{$x.obj}} {{$x.when}} {{$x.took}}"

    assert render(text, context) == ('true false [] 0.5 {"a":[1,"é"]} 2025-03-01T02:00:00+00:00 90')


def test_it_writes_a_json_body_that_parses_whatever_the_value_holds() -> None:
    context = {"plan": {"name": 'Say "hi"\nthen \\ leave {{$plan.name}}', "id": None}}
    body = '{"text": {{$plan.name|json}}, "id": {{ $plan.id | json }}}'

    rendered = json.loads(render(body, context))

    assert rendered == {"text": 'Say "hi"\nthen \\ leave {{$plan.name}}', "id": None}


def test_it_writes_objects_through_json_compactly() -> None:
    rendered = render("{{$fetch.response.json.items|json}}", make_context())

    assert rendered == '[{"id":7,"value":"a"},{"id":8}]'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3725, "1 h 2 min 5 s"),
        (3600, "1 h"),
        (65.4, "1 min 5 s"),
        (2.5, "2.5 s"),
        (0, "0 s"),
        (90061, "1 d 1 h 1 min 1 s"),
        (-5, "-5 s"),
        ("125", "2 min 5 s"),
        (dt.timedelta(minutes=3), "3 min"),
        ("01:02:05", "1 h 2 min 5 s"),
        ("PT1H30M", "1 h 30 min"),
        (None, ""),
    ],
)
def test_it_humanizes_durations_concisely(value: object, expected: str) -> None:
    assert humanize_duration(value) == expected


def test_it_applies_humanize_duration_in_a_template() -> None:
    assert render("took {{$plan.duration|humanizeDuration}}", make_context()) == (
        "took 1 h 2 min 5 s"
    )


def test_it_reports_a_value_humanize_duration_cannot_read() -> None:
    with pytest.raises(ReferenceResolutionError) as caught:
        render("{{$plan.name|humanizeDuration}}", make_context())

    assert str(caught.value).startswith("Cannot fill {{$plan.name|humanizeDuration}}: ")
    assert "'Nightly sync'" in str(caught.value)


def test_it_uses_default_for_none_and_for_missing_paths() -> None:
    context = make_context()
    context["plan"]["user"] = None

    assert render("{{$plan.user|default('schedule')}}", context) == "schedule"
    assert render("{{$fetch.response.json.nope[2]|default('-')}}", context) == "-"
    assert render("{{$missing.anything|default(0)}}", context) == "0"
    assert render("{{$plan.name|default('x')}}", context) == "Nightly sync"


def test_it_chains_filters_left_to_right() -> None:
    context = make_context()
    context["plan"]["duration"] = None

    assert render("{{$plan.duration|default(61)|humanizeDuration|json}}", context) == (
        '"1 min 1 s"'
    )
    assert render("{{$plan.gone|json|default('rescued')}}", context) == "rescued"
    assert render("{{$plan.gone|default('a b')|json}}", context) == '"a b"'


def test_it_names_the_reference_when_an_index_is_out_of_range() -> None:
    with pytest.raises(ReferenceResolutionError) as caught:
        render("x {{$fetch.response.json.items[3].id}}", make_context())

    assert str(caught.value) == (
        "Cannot fill {{$fetch.response.json.items[3].id}}: index 3 is out of range "
        "($fetch.response.json.items has 2 items)"
    )


def test_it_names_the_missing_key_of_a_json_path() -> None:
    with pytest.raises(ReferenceResolutionError) as caught:
        render("{{$fetch.response.json.orders[0].id}}", make_context())

    assert str(caught.value) == (
        "Cannot fill {{$fetch.response.json.orders[0].id}}: no key 'orders' in $fetch.response.json"
    )


def test_it_explains_a_json_path_into_a_body_that_is_not_json() -> None:
    context = make_context(body="<html>oops</html>")

    with pytest.raises(ReferenceResolutionError) as caught:
        render("{{$fetch.response.json.items}}", context)

    assert "the response body is not valid JSON" in str(caught.value)
    assert render("{{$fetch.response.body}}", context) == "<html>oops</html>"
    assert render("{{$fetch.response.json.items|default('none')}}", context) == "none"


def test_it_explains_indexing_into_something_that_is_not_a_list() -> None:
    with pytest.raises(ReferenceResolutionError) as caught:
        render("{{$plan.name[0]}}", make_context())

    assert "$plan.name is a string, not a list" in str(caught.value)


def test_it_reports_a_root_absent_from_the_context() -> None:
    with pytest.raises(ReferenceResolutionError, match=r"no value for \$other"):
        render("{{$other.status}}", make_context())


def test_it_never_reaches_python_attributes() -> None:
    class Secretive:
        secret = "leaked"

    context: dict[str, Any] = {"x": {"obj": Secretive(), "items": [1]}}

    for text in ("{{$x.__class__}}", "{{$x.items.__len__}}", "{{$x.obj.secret}}"):
        with pytest.raises(ReferenceResolutionError) as caught:
            render(text, context)
        assert "leaked" not in str(caught.value)
    with pytest.raises(ReferenceResolutionError, match="cannot be written into text"):
        render("{{$x.obj}}", context)


def test_it_computes_lazy_values_only_when_asked() -> None:
    calls: list[int] = []

    def compute() -> dict[str, int]:
        calls.append(1)
        return {"n": 5}

    context = {"x": {"lazy": LazyValue(compute), "gone": Unavailable("not today")}}

    assert render("{{$x.lazy.n}}{{$x.lazy.n}}", context) == "55"
    assert calls == [1]
    assert render("{{$x|json}}", context) == '{"lazy":{"n":5},"gone":null}'
    with pytest.raises(ReferenceResolutionError, match="not today"):
        render("{{$x.gone}}", context)


def test_it_renders_every_string_of_a_config() -> None:
    config = {"url": "https://api/{{$plan.id}}", "headers": {"X-Run": "{{$plan.runId}}"}, "n": 3}

    assert render_in(config, make_context()) == {
        "url": "https://api/42",
        "headers": {"X-Run": "1001"},
        "n": 3,
    }
    assert sorted(strings_in(config)) == ["https://api/{{$plan.id}}", "{{$plan.runId}}"]


# Hostile input


def test_it_refuses_templates_with_too_many_references() -> None:
    with pytest.raises(ReferenceSyntaxError, match="Too many references"):
        parse("{{$plan.id}}" * (MAX_REFERENCES + 1))


def test_it_stays_fast_on_large_and_pathological_templates() -> None:
    started = time.monotonic()
    for broken in ("{" * 200_000, "{{" + " " * 500_000, "{{$a['" + "x" * 500_000):
        with pytest.raises(ReferenceSyntaxError):
            parse(broken)
    assert parse("x}}" * 100_000).parts == ("x}}" * 100_000,)
    assert len(parse("{{$a" + ".b" * 31 + "}}" + " {{$a}}" * 999).references) == 1000
    assert time.monotonic() - started < 2


def test_it_refuses_paths_that_are_too_deep() -> None:
    with pytest.raises(ReferenceSyntaxError, match="Path too long"):
        parse("{{$a" + "[0]" * 100 + "}}")


def test_it_survives_a_deeply_nested_response_body() -> None:
    context = make_context(body="[" * 100_000 + "]" * 100_000)

    with pytest.raises(ReferenceResolutionError, match="not valid JSON"):
        render("{{$fetch.response.json[0]}}", context)


def test_it_caps_the_size_of_the_filled_text() -> None:
    context = {"x": {"big": "a" * 1000}}

    with pytest.raises(ReferenceResolutionError, match="longer than 5000 characters"):
        render("{{$x.big}}" * 10, context, max_output_chars=5000)


# Validation


def test_it_accepts_every_documented_reference() -> None:
    text = (
        "{{$plan.name}} {{$plan.id}} {{$plan.runId}} {{$plan.url}} {{$plan.startTime}} "
        "{{$plan.duration|humanizeDuration}} {{$plan.user}} {{$plan.taskCount}} "
        "{{$fetch.name}} {{$fetch.status}} {{$fetch.startTime}} {{$fetch.endTime}} "
        "{{$fetch.duration}} {{$fetch.statusCode}} {{$fetch.response.body}} "
        "{{$fetch.response.headers['Content-Type']}} {{$fetch.response.json.a[0].b}} "
        "{{$fetch.response.json}} {{$load.status}} {{$plan}}"
    )

    assert validate(text, schema=SCHEMA) == []


def test_it_reports_a_root_that_is_not_upstream() -> None:
    assert validate("{{$fetch2.status}}", schema=SCHEMA) == [
        "{{$fetch2.status}}: 'fetch2' is not an upstream task or a known reference root "
        "(known: $plan, $fetch, $load)"
    ]


def test_it_reports_an_unknown_field_with_the_known_ones() -> None:
    assert validate("{{ $plan.nme }}", schema=SCHEMA) == [
        "{{$plan.nme}}: unknown field 'nme' of $plan (known: name, id, runId, url, "
        "startTime, duration, user, taskCount)"
    ]


def test_it_reports_fields_only_http_tasks_have() -> None:
    [message] = validate("{{$load.response.body}}", schema=SCHEMA)

    assert message.startswith("{{$load.response.body}}: unknown field 'response' of $load")


def test_it_reports_paths_below_a_scalar_and_dunder_attempts() -> None:
    messages = validate("{{$plan.name.first}} {{$fetch.__class__}} {{$plan[0]}}", schema=SCHEMA)

    assert messages == [
        "{{$plan.name.first}}: $plan.name has no fields, so 'first' is unknown",
        "{{$fetch.__class__}}: unknown field '__class__' of $fetch (known: name, status, "
        "startTime, endTime, duration, statusCode, response)",
        "{{$plan[0]}}: unknown field [0] of $plan (known: name, id, runId, url, startTime, "
        "duration, user, taskCount)",
    ]


def test_it_reports_syntax_errors_and_unknown_filters_as_messages() -> None:
    [syntax] = validate("hi {{ not a ref }}", schema=SCHEMA)
    [unknown_filter] = validate("{{$plan.name|shout}}", schema=SCHEMA)

    assert "Expected a reference" in syntax
    assert "Unknown filter 'shout'" in unknown_filter


def test_it_reports_each_problem_once() -> None:
    assert len(validate("{{$nope.a}} {{$nope.a}}", schema=SCHEMA)) == 1


def test_it_allows_free_form_outputs_below_flow_tasks() -> None:
    schema = {"build": task_schema(REGISTRY["flow"].offers)}

    assert validate("{{$build.outputs.daily.rows[0]}}", schema=schema) == []
    assert validate("{{$build.statusCode}}", schema=schema) != []


def test_it_lets_callers_describe_their_own_roots() -> None:
    schema = {
        "job": FieldSchema.of("status", flow=FieldSchema.of("name")),
        "output": FieldSchema.any(),
    }

    assert validate("{{$job.flow.name}} {{$output['x'][1]}}", schema=schema) == []
    assert validate("{{$job.flow.id}}", schema=schema) == [
        "{{$job.flow.id}}: unknown field 'id' of $job.flow (known: name)"
    ]


def test_it_lists_the_roots_used_by_many_texts() -> None:
    roots = references_in(["{{$plan.name}} {{$fetch.status}}", "plain", "{{$load.name|json}}"])

    assert roots == {"plan", "fetch", "load"}
