"""A console write that gives up waiting for a row lock is counted in ``ipx_lock_timeouts``
(``lock="row"``) as the API's 503 ``lock-timeout`` is, and answers the console's 503 page with
``Retry-After``; nothing is written."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from ipx import create_app
from ipx.db_ext import database
from tests.console_helpers import form_fields, logged_in, page_text
from tests.registry_helpers import row_counts

ROW_LOCK = ("ipx_lock_timeouts_total", frozenset({"lock": "row"}.items()))


def _samples(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite waits on its busy timeout instead
def test_a_console_write_that_times_out_on_a_lock_is_counted(app, registry, db_url):
    asset = registry.asset([registry.party()])
    impatient = create_app({**app.config, "DB_LOCK_TIMEOUT_MS": 200})
    impatient.config["PROPAGATE_EXCEPTIONS"] = False
    clerk = logged_in(impatient.test_client(), impatient, "clerk")
    page_path = f"/console/assets/{asset['id']}"
    action = f"{page_path}/freezes"
    form = {
        **form_fields(page_text(clerk.get(page_path)), action),
        "freeze-court": "上海市浦东新区人民法院",
        "freeze-order_number": "(2026)沪0115执保7号",
    }
    before = _samples(clerk).get(ROW_LOCK, 0)
    counts = row_counts(app)
    holder = create_engine(db_url)
    try:
        with holder.begin() as conn:  # another transaction holds the asset's row
            conn.execute(
                text("SELECT id FROM assets WHERE id = :id FOR UPDATE"), {"id": asset["id"]}
            )
            answer = clerk.post(action, data=form)
    finally:
        holder.dispose()
    try:
        assert answer.status_code == 503, page_text(answer)
        assert answer.headers["Retry-After"] == "1"
        assert _samples(clerk)[ROW_LOCK] == before + 1
        after = row_counts(app)
        for table in ("freezes", "ledger_entries"):
            assert after[table] == counts[table], f"{table} written"
    finally:
        database(impatient).dispose()
