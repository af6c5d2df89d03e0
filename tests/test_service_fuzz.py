"""Schemathesis against the app's own OpenAPI document: no input gives a 500.

Examples are kept modest (``max_examples``) so the suite stays fast. Every operation (the
records and pages routes included) must answer below 500; this issue's own operations must also
answer as documented (status codes and response schemas), including accepting every input the
document says is valid. One check is left out: ``missing_required_header`` (no operation here
requires a header).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from schemathesis.specs.openapi.checks import missing_required_header

from callguide.decision import Decider
from callguide.rulebook import load_rulebook
from callguide.service import create_app

app = create_app(Decider(load_rulebook()))
OURS = {"/v1/decisions", "/v1/call-checks", "/v1/rules", "/v1/rules/{rule_id}", "/v1/scenarios",
        "/v1/scenarios/{scenario_id}", "/healthz", "/readyz"}
# The service refuses an address over 4 KiB (414) and a body over 64 KiB (413) before it reads them
# (issue 16), whether what they hold is valid or not: both are documented answers, not failures. A
# long generated `record` value made a valid case a 414 and failed the run now and then.
REFUSED_UNREAD = ["413", "414"]
CONFIG = schemathesis.config.SchemathesisConfig.from_dict({"checks": {
    "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "429", *REFUSED_UNREAD]},
    "negative_data_rejection": {"expected-statuses": ["400", "401", "403", "404", "405", "406", "409", "415", "422",
                                                      "428", "429", *REFUSED_UNREAD]},
}})
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_gives_a_server_error(case):
    response = case.call()
    assert response.status_code < 500, (case.as_curl_command(), response.text)
    if case.path in OURS:  # this endpoints also answer as documented
        case.validate_response(response, excluded_checks=[missing_required_header])
    if case.method == "POST" and response.status_code == 422:
        assert all(problem["field"] and problem["message"] for problem in response.json()["detail"])


@pytest.mark.parametrize("junk", [b"{", b"\x00", b'{"incident": {"kind": "assault"}} trailing', b"1e999999",
                                  b'{"incident": {"kind": "assault", "damage_value_gbp": 1e400}}'])
def test_junk_bodies_are_never_a_server_error(junk):
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        for endpoint in ("/v1/decisions", "/v1/call-checks"):
            response = client.post(endpoint, content=junk, headers={"content-type": "application/json"})
            assert 400 <= response.status_code < 500, (endpoint, response.text)
