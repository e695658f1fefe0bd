"""Building registry records through the API, for tests."""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta

from ipx.registry.numbers import make_credit_code, make_patent_number

_serial = itertools.count(1)
_org = itertools.count(1)


def app_settings(db_url: str, keys_dir) -> dict:
    """The settings of a test app: its database, the instance keys in ``keys_dir`` (a path),
    checkpoints signed only when asked for."""
    return {
        "DATABASE_URL": db_url,
        "TESTING": True,
        "SIGNING_KEY_FILE": str(keys_dir / "signing.key"),
        "DIGEST_KEY_FILE": str(keys_dir / "digest.key"),
        "SESSION_KEY_FILE": str(keys_dir / "session.key"),
        "CHECKPOINT_EVERY_SECONDS": 0,
    }


def credit_code() -> str:
    n = next(_org)
    return make_credit_code(f"{n:08d}"[:8].replace("0", "A", 1) if n % 2 else f"{n:08d}")


@dataclass
class Registry:
    """Creates parties, assets and applications over HTTP as a clerk, asserting success."""

    client: object
    clerk: dict
    today: date = field(default_factory=date.today)

    def post(self, path: str, body: dict, headers: dict | None = None, status: int = 201) -> dict:
        response = self.client.post(f"/api/v1{path}", json=body, headers=headers or self.clerk)
        assert response.status_code == status, response.get_json()
        return response.get_json()

    def party(self, name: str = "华东材料科技股份有限公司", kind: str = "organization") -> int:
        body = {"kind": kind, "name": f"{name}{next(_org)}"}
        if kind == "organization":
            body["credit_code"] = credit_code()
        return self.post("/parties", body)["id"]

    def asset(self, holder_ids: list[int], **overrides) -> dict:
        filing = overrides.pop("filing_date", self.today - timedelta(days=3 * 365))
        body = {
            "kind": "invention",
            "number": make_patent_number(filing.year, 1, next(_serial)),
            "title": "一种稀土永磁材料及其制备方法",
            "holder_ids": holder_ids,
            "filing_date": filing.isoformat(),
            "grant_date": (filing + timedelta(days=700)).isoformat(),
            "status": "granted",
            "fees_paid_until": (self.today + timedelta(days=200)).isoformat(),
            "ipc": "H01F 1/057",
            "features": {"claims": 10, "backward_citations": 5, "family_size": 2, "inventors": 3},
        }
        body.update(overrides)
        return self.post("/assets", body)

    def application(
        self, pledgor: int, pledgee: int, asset_ids: list[int], headers=None, **overrides
    ) -> dict:
        body = {
            "pledgor_id": pledgor,
            "pledgee_id": pledgee,
            "asset_ids": asset_ids,
            "secured_amount": "5000000.00",
            "currency": "CNY",
            "debt_start": self.today.isoformat(),
            "debt_end": (self.today + timedelta(days=730)).isoformat(),
            "contract_number": "JK-2026-0001",
        }
        body.update(overrides)
        return self.post("/pledge-applications", body, headers=headers)

    def pledge(self, pledgor: int, pledgee: int, asset_ids: list[int], **overrides) -> dict:
        application = self.application(pledgor, pledgee, asset_ids, **overrides)
        return self.post(f"/pledge-applications/{application['id']}/register", {})


# --- assertions and database snapshots shared by the API tests ------------------------------

PROBLEM_FIELDS = {"type", "title", "status", "detail", "code"}


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """The response is an RFC 9457 problem with the given status (and machine code)."""
    body = response.get_json(force=True, silent=True)
    assert response.status_code == status, (response.status_code, body)
    assert response.mimetype == "application/problem+json", response.mimetype
    assert isinstance(body, dict) and body.keys() >= PROBLEM_FIELDS, body
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def row_counts(app) -> dict[str, int]:
    """Rows in every table (the log included), to show that a refused request changed nothing.

    One statement of scalar subqueries, not a query per table: the property tests take it
    before and after every example."""
    from ipx.db_ext import database

    with database(app).sessions() as session:
        return dict(session.execute(_row_counts_statement()).one()._mapping)


@functools.cache
def _row_counts_statement():
    from sqlalchemy import func, select

    import ipx.models  # noqa: F401 - registers every table
    from ipx.db import Base
    from ipx.ledger.tables import LedgerHead

    counts = [
        select(func.count()).select_from(t).scalar_subquery().label(t.name)
        for t in Base.metadata.sorted_tables
        if t.name not in ("api_keys", "idempotency_keys")
    ]
    size = select(func.coalesce(func.max(LedgerHead.size), 0)).scalar_subquery()
    return select(*counts, size.label("ledger_size"))


def audit(app, states: bool = True):
    """``ipx verify``'s audit of the app's log (and, with ``states``, of every record)."""
    from ipx.db_ext import database
    from ipx.ledger.signing import app_signer
    from ipx.ops.audit import audit_records

    with database(app).sessions() as session:
        return audit_records(app.config, session, app_signer(app).public_key, records=states)


def event_types(app) -> list[str]:
    """Types of every event in the log, in order."""
    from sqlalchemy import select

    from ipx.db_ext import database
    from ipx.ledger.tables import LedgerEntry

    with database(app).sessions() as session:
        return list(session.execute(select(LedgerEntry.type).order_by(LedgerEntry.seq)).scalars())


@dataclass
class Scene:
    """A typical cast: an owner with an asset, a bank, and keys for every role."""

    owner: int
    bank: int
    other_owner: int
    other_bank: int
    asset: dict
    other_asset: dict
    headers: dict


def scene(registry: Registry, keys) -> Scene:
    """Two owners with one asset each, two banks, and a key per role (bound where needed)."""
    owner, bank = registry.party("华东材料科技股份有限公司"), registry.party("工商银行上海分行")
    other_owner, other_bank = registry.party("岭南电子有限公司"), registry.party("建设银行广州分行")
    headers = {
        "clerk": registry.clerk,
        "auditor": keys.header("auditor"),
        "admin": keys.header("admin"),
        "bank": keys.header("bank", bank),
        "owner": keys.header("owner", owner),
        "other_bank": keys.header("bank", other_bank),
        "other_owner": keys.header("owner", other_owner),
        "none": {},
    }
    return Scene(
        owner=owner,
        bank=bank,
        other_owner=other_owner,
        other_bank=other_bank,
        asset=registry.asset([owner]),
        other_asset=registry.asset([other_owner]),
        headers=headers,
    )
