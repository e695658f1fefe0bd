"""The valuation report (PDF): a stored valuation with its asset, its ledger anchor and its model.

It needs three contexts (the valuation says who may read it, the registry describes the asset
and its pledges, the ledger anchors the valuation in a signed checkpoint), so it lives here at
the composition root, as the pledge receipt does (``ipx.receipts``), and the valuation package
still imports nothing of the registry. The route is on the valuations' blueprint: ``create_app``
registers that blueprint from here.
"""

from __future__ import annotations

import dataclasses
import re

from flask import Response, current_app
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from ipx.auth import Principal, Role, require
from ipx.db_ext import database
from ipx.ledger import proofs
from ipx.ledger.signing import covering_checkpoint
from ipx.registry.services.valuation_report_facts import asset_description
from ipx.uow import UnitOfWork
from ipx.valuation import serving
from ipx.valuation.report_facts import LedgerAnchor, ModelSummary, ReportFacts
from ipx.valuation.report_text import LANGUAGES
from ipx.valuation.routes import VALUERS, blp
from ipx.valuation.services import get_valuation, stored_json_digest, valuation_json
from ipx.web.http import read

__all__ = ["blp", "report_facts", "report_response"]

PDF = "application/pdf"


class ReportQuery(Schema):
    lang = fields.String(
        validate=validate.OneOf(LANGUAGES),
        load_default="zh",
        metadata={"description": "the report's language: Simplified Chinese (default) or English"},
    )


def report_facts(
    uow: UnitOfWork, who: Principal, valuation_id: int
) -> tuple[ReportFacts, dict | None]:
    """The facts of the report of a valuation the caller may read (404 else), without the
    ledger anchor, and the valuation's log entry (``{index, leaf, leaf_hash, result_digest}``,
    the digest of the stored result its leaf commits to; None if the log has none)."""
    row = get_valuation(uow.session, who, valuation_id)
    asset = None if row.asset_id is None else asset_description(uow.session, row.asset_id, row.id)
    index = proofs.first_entry_of(uow.session, "valuation", row.id, "valuation.created")
    facts = ReportFacts(
        valuation=valuation_json(row),
        request=row.request,
        asset=asset,
        anchor=None,
        model=_model_summary(row.model_version),
    )
    if index is None:
        return facts, None
    return facts, {
        **proofs.entry(uow.session, index),
        "result_digest": stored_json_digest(row.result),
    }


def _anchored(facts: ReportFacts, entry: dict | None) -> ReportFacts:
    """The facts with the signed checkpoint covering the valuation's log ``entry`` (signed now
    if none does yet, as for a receipt)."""
    if entry is None:
        return facts
    checkpoint = covering_checkpoint(database().engine, entry["index"])
    anchor = LedgerAnchor(
        index=entry["index"],
        leaf_hash=entry["leaf_hash"],
        result_digest=entry["result_digest"],
        tree_size=checkpoint.tree_size,
        root_hash=checkpoint.reference()["root_hash"],
        signed_at=checkpoint.signed_at,
    )
    return dataclasses.replace(facts, anchor=anchor)


def _model_summary(version: str) -> ModelSummary:
    card = serving.valuer(current_app).card()
    if card["version"] != version:
        return ModelSummary(version=version, serving=False)
    data = card["training_data"]
    return ModelSummary(
        version=version,
        serving=True,
        training_file=data.get("file"),
        training_rows=data.get("rows"),
        training_sha256=data.get("sha256"),
        what_it_is=_first_paragraph(card["model_card_markdown"], "## What it is"),
    )


def _first_paragraph(markdown: str, heading: str) -> str | None:
    _, found, rest = markdown.partition(heading + "\n")
    if not found:
        return None
    paragraph = " ".join(rest.strip().split("\n\n", 1)[0].split())
    return re.sub(r"[*`]", "", paragraph)  # the markdown's emphasis, not the words


@blp.route("/valuations/<int:valuation_id>/report.pdf")
class ValuationReport(MethodView):
    @require(*VALUERS, Role.AUDITOR)
    @blp.arguments(ReportQuery, location="query")
    @blp.doc(
        responses={
            200: {
                "description": "The report, a PDF (fonts embedded).",
                "content": {PDF: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    )
    @blp.alt_response(404, description="`not-found`: no valuation with that id you may read")
    @blp.alt_response(503, description="`report-font-missing`: the install lacks the CJK font")
    def get(self, query, valuation_id):
        """The valuation report a bank files with the loan (PDF; readers as for the valuation)."""
        return report_response(read(report_facts, valuation_id), valuation_id, query["lang"])


def report_response(
    facts_and_entry: tuple[ReportFacts, dict | None], valuation_id: int, lang: str
) -> Response:
    """The PDF of ``report_facts``' answer (read for the API's caller or the console's user),
    anchored in a signed checkpoint."""
    from ipx.valuation.report_pdf import DEFAULT_FONT_FILE, render  # reportlab loads here

    facts, entry = facts_and_entry
    font = current_app.config.get("REPORT_FONT_FILE") or DEFAULT_FONT_FILE
    pdf = render(_anchored(facts, entry), lang, font)
    return Response(
        pdf,
        mimetype=PDF,
        headers={
            "Content-Disposition": f'inline; filename="valuation-{valuation_id}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )
