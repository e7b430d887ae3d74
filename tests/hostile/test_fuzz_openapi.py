"""The fuzz run (issues 15 and 20): schemathesis generates requests from the service's own OpenAPI description,
valid and invalid, for every operation; none may answer 5xx (or break the connection). Derandomised, so a run is
reproducible, and bounded in examples so that it takes well under a minute per database."""

from __future__ import annotations

import json
import time

import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.credentials.helpers import issue
from tests.pages import post_form

EXAMPLES_PER_OPERATION = 8
# Operations the brief asks about by name get more examples; every other operation gets the default.
FOCUS = (
    "/credentials/verify",
    "/presentations/verify",
    "/verify",
    "/verify/bulk",
    "/credentials/issue",
    "/records",
    "/organisations",
    "/auth/login",
    "/status/{slug}/{purpose}/{number}",
)
FOCUS_EXAMPLES = 25
BUDGET_SECONDS = 60


def test_no_generated_request_gets_a_5xx(unthrottled_app, make_org):
    from fastapi.testclient import TestClient

    with TestClient(unthrottled_app) as client:
        org = make_org("fuzz")
        issue(client, org)  # something to find: a record, a credential, status lists
    schema = schemathesis.openapi.from_asgi("/openapi.json", unthrottled_app)
    failures: list[str] = []
    counts = {"operations": 0, "requests": 0}
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        counts["operations"] += 1
        examples = (
            FOCUS_EXAMPLES
            if operation.path in FOCUS or operation.path.startswith("/organisations")
            else EXAMPLES_PER_OPERATION
        )

        strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE)
        if "{slug}" in operation.path:  # also with the organisation that exists, to get past its lookup
            strategy = strategy | operation.as_strategy(GenerationMode.POSITIVE, path_parameters={"slug": org.slug})

        @hypothesis_settings(
            max_examples=examples,
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def fuzz(case):
            counts["requests"] += 1
            try:
                response = case.call(headers=org.headers())
            except Exception as error:  # noqa: BLE001 - a broken connection is as bad as a 500
                failures.append(f"{label}: {type(error).__name__}: {error} <- {case.as_curl_command()}")
                return
            if response.status_code >= 500:
                failures.append(f"{label}: {response.status_code} <- {case.as_curl_command()}")

        fuzz()
    elapsed = time.monotonic() - started
    print(
        f"fuzz: {counts['operations']} operations, {counts['requests']} requests, {len(failures)} x 5xx, "
        f"{elapsed:.0f} s"
    )
    assert counts["operations"] > 50
    assert not failures, "\n".join(failures[:40])
    assert elapsed < BUDGET_SECONDS * 2  # the CI budget with room for a loaded machine


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def value_paths(document, path=()):
    """The path of every value in `document` (objects, lists and leaves)."""
    yield path
    if isinstance(document, dict):
        for key, value in document.items():
            yield from value_paths(value, path + (key,))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from value_paths(value, path + (index,))


def replaced(document, path, value):
    if not path:
        return value
    copy = list(document) if isinstance(document, list) else dict(document)
    copy[path[0]] = replaced(document[path[0]], path[1:], value)
    return copy


def test_a_genuine_credential_with_any_value_replaced_gets_a_verdict_or_a_4xx(unthrottled_app, make_org):
    """The schema says only "an object"; this reaches the checks: every value of a real credential (its proof
    included) replaced by generated JSON, posted to the VC-API, as a presentation, and pasted on the page."""
    from fastapi.testclient import TestClient

    failures: list[str] = []
    with TestClient(unthrottled_app, raise_server_exceptions=False) as client:
        org = make_org("fuzz-values")
        _, issued = issue(client, org)
        credential = issued["credential"]
        paths = list(value_paths(credential))
        proof_paths = [path for path in paths if path[:1] == ("proof",)]

        @hypothesis_settings(
            max_examples=300,
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(
            path=st.sampled_from(paths) | st.sampled_from(proof_paths),
            value=JSON_VALUES,
            where=st.sampled_from(["api", "presentation", "page"]),
        )
        def fuzz(path, value, where):
            document = replaced(credential, path, value)
            if where == "api":
                response = client.post("/credentials/verify", json={"verifiableCredential": document})
            elif where == "presentation":
                response = client.post(
                    "/presentations/verify",
                    json={
                        "verifiablePresentation": {
                            "@context": ["https://www.w3.org/ns/credentials/v2"],
                            "type": ["VerifiablePresentation"],
                            "verifiableCredential": [document],
                        },
                        "options": {"challenge": "c"},
                    },
                )
            else:
                response = post_form(client, "/verify", data={"credential": json.dumps(document)})
            if response.status_code >= 500:
                failures.append(f"{where} {path} = {value!r}: {response.status_code}")

        fuzz()
    print(f"fuzz values: {len(failures)} x 5xx")
    assert not failures, "\n".join(failures[:40])
