"""Realized prices: the transaction record of every asset sold in a disposal, the data
valuations are back-tested against (clerks and auditors, as ``GET /api/v1/transactions``)."""

from __future__ import annotations

import json

from flask import Blueprint, render_template, request

from ipx.auth import Role
from ipx.console import disposal_reads, reads
from ipx.console.csv_export import csv_response
from ipx.console.labels import ASSET_KIND, DISPOSAL_METHOD, label
from ipx.console.session import login_required

CSV_HEADER = (
    "id",
    "sale_date",
    "disposal_id",
    "asset_id",
    "asset_kind",
    "asset_number",
    "ipc",
    "filing_date",
    "grant_date",
    "expiry_date",
    "price",
    "currency",
    "lot_size",
    "method",
    "features",
)


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/transactions", view_func=transaction_list)


@login_required(Role.CLERK, Role.AUDITOR)
def transaction_list():
    """Realized sale prices, oldest first, optionally of one kind of asset or one method."""
    filters = {
        "asset_kind": _one_of(request.args.get("asset_kind"), ASSET_KIND),
        "method": _one_of(request.args.get("method"), DISPOSAL_METHOD),
    }
    if request.args.get("format") == "csv":
        return _csv(reads.read(reads.export_rows, disposal_reads.transaction_list, **filters))
    answer = reads.read(
        disposal_reads.transaction_list, cursor=request.args.get("cursor"), **filters
    )
    return render_template(
        "console/transactions.html",
        kinds=ASSET_KIND,
        methods=DISPOSAL_METHOD,
        **filters,
        **answer,
    )


def _one_of(value: str | None, words: dict) -> str | None:
    return value if value in words else None


def _csv(export: dict):
    rows = (
        (
            t.id,
            t.sale_date.isoformat(),
            t.disposal_id,
            t.asset_id,
            label(t.asset_kind, "asset_kind"),
            t.asset_number,
            t.ipc,
            t.filing_date.isoformat(),
            t.grant_date.isoformat() if t.grant_date else None,
            t.expiry_date.isoformat(),
            t.price,
            t.currency,
            t.lot_size,
            label(t.method, "disposal_method"),
            json.dumps(t.features, sort_keys=True) if t.features else None,
        )
        for t in export["items"]
    )
    return csv_response("transactions.csv", CSV_HEADER, rows)
