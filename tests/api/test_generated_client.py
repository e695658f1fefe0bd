"""A bank's integrator generates a client from the served document and it works, errors included.

``openapi-python-client`` (a local code generator: nothing is fetched) writes a client package
from ``/api/v1/openapi.json`` into a temporary directory; the tests import it and drive a real
server (the app on a free 127.0.0.1 port, in a thread) through it: a clerk registers the parties,
the patent and the pledge the bank applied for; the bank reads its pledge and its receipt and
values the patent. Refusals come back as the generated problem models (404 ``Problem``, 409
``RefusalProblem`` with its grounds, 422 ``ValidationProblem`` with its fields, 403), and every
answer is also checked against the document as it arrives.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.deserializing.media_types.util import json_loads
from openapi_core.testing import MockRequest, MockResponse

from ipx.web.api import API_PREFIX
from ipx.web.errors import PROBLEM_JSON
from tests.http_race import serving
from tests.registry_helpers import credit_code

pytestmark = pytest.mark.slow  # generating the client takes a few seconds
PACKAGE = "ipx_generated_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
# The generator knows a PDF only as a file of bytes: it is told so, as a bank's set-up would.
SETTINGS = (
    f"project_name_override: {PACKAGE}\npackage_name_override: {PACKAGE}\npost_hooks: []\n"
    "content_type_overrides:\n  application/pdf: application/octet-stream\n"
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory, request):
    """The generated client package (imported) and the document it was generated from."""
    from ipx import create_app

    directory = tmp_path_factory.mktemp("client")
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{directory / 'unused.sqlite3'}",  # the document needs none
            "TESTING": True,
            "SIGNING_KEY_FILE": str(directory / "signing.key"),
            "DIGEST_KEY_FILE": str(directory / "digest.key"),
            "SESSION_KEY_FILE": str(directory / "session.key"),
        }
    )
    document = app.test_client().get(f"{API_PREFIX}/openapi.json").get_json()
    (directory / "openapi.json").write_text(json.dumps(document), encoding="utf-8")
    (directory / "settings.yaml").write_text(SETTINGS, encoding="utf-8")
    command = [str(GENERATOR), "generate", "--path", str(directory / "openapi.json")]
    command += ["--meta", "none", "--config", str(directory / "settings.yaml")]
    command += ["--output-path", str(directory / PACKAGE), "--fail-on-warning"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(directory))
    request.addfinalizer(lambda: sys.path.remove(str(directory)))
    return importlib.import_module(PACKAGE), document


class Api:
    """The generated package, bound to a live server and one key (every answer checked)."""

    def __init__(self, package, contract: OpenAPI, base_url: str, key: str | None) -> None:
        self.package, self.contract = package, contract
        hooks = {"event_hooks": {"response": [self._conforms]}}
        if key is None:
            self.client = package.Client(base_url=base_url, httpx_args=hooks)
        else:
            self.client = package.AuthenticatedClient(
                base_url=base_url, token=key, httpx_args=hooks
            )
        self.models = importlib.import_module(f"{package.__name__}.models")

    def call(self, operation: str, *args, **kwargs):
        """``api.call("parties.create_party", body=...)``: the answer's status and parsed model."""
        module = importlib.import_module(f"{self.package.__name__}.api.{operation}")
        response = module.sync_detailed(*args, client=self.client, **kwargs)
        return int(response.status_code), response.parsed

    def _conforms(self, response) -> None:
        response.read()
        sent = response.request
        request = MockRequest(
            f"{sent.url.scheme}://{sent.url.netloc.decode()}",
            sent.method.lower(),
            sent.url.path,
            args=dict(sent.url.params),
            headers=dict(sent.headers),
            data=sent.content or None,
        )
        answer = MockResponse(
            response.content,
            response.status_code,
            content_type=response.headers.get("content-type", "").split(";")[0],
        )
        self.contract.validate_response(request, answer)


@pytest.fixture
def apis(generated, app, keys):
    """An ``Api`` factory for keys of the live app (``None``: no key)."""
    package, document = generated
    contract = OpenAPI.from_dict(
        document, config=Config(extra_media_type_deserializers={PROBLEM_JSON: json_loads})
    )
    with serving(app) as port:

        def api(role: str | None = None, party_id: int | None = None) -> Api:
            key = None
            if role is not None:
                key = keys.header(role, party_id)["Authorization"].removeprefix("Bearer ")
            return Api(package, contract, f"http://127.0.0.1:{port}", key)

        yield api


def _register_a_pledge(apis):
    """The clerk's flow: parties, patent, the bank's application, registration."""
    clerk = apis("clerk")
    m = clerk.models
    parties = []
    for name in ("上海新材科技有限公司", "浦江商业银行"):
        body = m.PartyIn(kind=m.PartyInKind.ORGANIZATION, name=name, credit_code=credit_code())
        status, party = clerk.call("parties.create_party", body=body)
        assert status == 201 and isinstance(party, m.PartyOut), party
        parties.append(party)
    owner, bank = parties
    asset_in = m.AssetIn.from_dict(
        {
            "kind": "invention",
            "number": "ZL202110355218.9",
            "title": "一种固态电池电解质膜及其制备方法",
            "holder_ids": [owner.id],
            "filing_date": "2021-04-06",
            "grant_date": "2023-01-10",
            "status": "granted",
            "fees_paid_until": "2099-04-05",
            "ipc": "H01M 10/0565",
            "features": {"claims": 12, "backward_citations": 8, "family_size": 3},
        }
    )
    status, asset = clerk.call("assets.create_asset", body=asset_in, idempotency_key="asset-1")
    assert status == 201 and asset.number == "202110355218.9" and asset.holder_ids == [owner.id]
    banker = apis("bank", bank.id)
    terms = {
        "pledgor_id": owner.id,
        "pledgee_id": bank.id,
        "asset_ids": [asset.id],
        "secured_amount": "1250000.00",
        "currency": "CNY",
        "debt_start": "2026-12-01",
        "debt_end": "2029-11-30",
        "contract_number": "PJ-2026-0815",
    }
    status, application = banker.call(
        "applications.file_application", body=m.ApplicationIn.from_dict(terms)
    )
    assert status == 201 and application.status == "submitted"
    status, pledge = clerk.call("applications.register_pledge", application.id)
    assert status == 201 and isinstance(pledge, m.PledgeOut), pledge
    assert pledge.registration_number.startswith("IPX-P-") and pledge.secured_amount == "1250000.00"
    return clerk, banker, owner, bank, asset, pledge, terms


def test_a_clerk_registers_a_pledge_and_reads_refusals_as_problem_models(apis):
    clerk, banker, owner, bank, asset, pledge, terms = _register_a_pledge(apis)
    m = clerk.models

    status, again = banker.call(
        "applications.file_application", body=m.ApplicationIn.from_dict(terms)
    )
    assert status == 201
    status, refusal = clerk.call("applications.register_pledge", again.id)
    assert status == 409 and isinstance(refusal, m.RefusalProblem), refusal
    assert refusal.code == "registration-refused"
    assert [ground.code for ground in refusal.grounds] == ["R09"]

    status, missing = clerk.call("parties.get_party", 2_000_000)
    assert status == 404 and isinstance(missing, m.Problem) and missing.code == "not-found"

    wrong = m.PartyIn(
        kind=m.PartyInKind.ORGANIZATION, name="某公司", credit_code="91310115MA1XK7Q29X"
    )
    status, invalid = clerk.call("parties.create_party", body=wrong)
    assert status == 422 and isinstance(invalid, m.ValidationProblem), invalid
    assert invalid.code == "validation-failed" and "credit_code" in invalid.errors.to_dict()

    status, same = clerk.call("assets.get_asset", asset.id)
    assert status == 200 and same.to_dict() == asset.to_dict()


def test_a_bank_reads_its_pledge_and_values_the_patent_and_is_refused_the_rest(apis):
    clerk, banker, owner, bank, asset, pledge, _ = _register_a_pledge(apis)
    m = clerk.models

    status, mine = banker.call("pledges.get_pledge", pledge.id)
    assert status == 200 and mine.to_dict() == pledge.to_dict()
    status, page = banker.call("pledges.list_pledges", pledgee_id=bank.id)
    assert status == 200 and [p.id for p in page.items] == [pledge.id]
    status, receipt = banker.call("ledger.get_pledge_receipt", pledge.id)
    assert status == 200 and isinstance(receipt, m.ReceiptOut) and receipt.inclusion_proof
    status, key = apis().call("ledger.get_public_key")
    assert status == 200 and key.algorithm == "Ed25519"

    request = m.ValuationIn.from_dict({"asset_id": asset.id, "loan_term_months": 36})
    status, valuation = banker.call("valuations.value_asset", body=request)
    assert status == 201 and isinstance(valuation, m.ValuationOut), valuation
    assert valuation.asset_id == asset.id and 0 <= valuation.score <= 100
    status, stored = banker.call("valuations.get_valuation", valuation.id)
    assert status == 200 and stored.id == valuation.id and stored.score == valuation.score

    body = m.PartyIn(kind=m.PartyInKind.ORGANIZATION, name="另一家银行", credit_code=credit_code())
    status, forbidden = banker.call("parties.create_party", body=body)
    assert status == 403 and isinstance(forbidden, m.Problem) and forbidden.code == "forbidden"
    status, other_bank = clerk.call("parties.create_party", body=body)
    assert status == 201
    status, hidden = apis("bank", other_bank.id).call("pledges.get_pledge", pledge.id)
    assert status == 404 and hidden.code == "not-found"
    status, anonymous = apis().call("pledges.get_pledge", pledge.id)
    assert status == 401 and anonymous.code == "unauthorized"
