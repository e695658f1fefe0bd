"""The valuation report a bank files with the loan, as a PDF (reportlab).

One function, ``render``: the stored valuation and its ``ReportFacts`` in, the document's bytes
out, in Chinese or English. Text is set in one CJK TrueType font the install provides (Debian's
fonts-wqy-microhei by default, ``REPORT_FONT_FILE`` to choose another), embedded as a subset so
the file reads the same anywhere; without the font the report is refused, never drawn with
missing glyphs. Figures are printed exactly as the API answers them (decimal strings for money).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ipx.china_time import china_minutes_with_zone, utc_text
from ipx.errors import ServiceUnavailable
from ipx.rights import PATENT_COUNTS
from ipx.valuation.model import ECONOMICS_DEFAULTS
from ipx.valuation.report_chart import survival_drawing
from ipx.valuation.report_facts import ReportFacts
from ipx.valuation.report_text import KIND_NAMES, STATUS_NAMES, limits, words

#: Debian's fonts-wqy-microhei (the install's CJK font).
DEFAULT_FONT_FILE = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
FONT = "IPXReportCJK"


class ReportFontMissing(ServiceUnavailable):
    code, title = "report-font-missing", "The report's font is not installed"


@cache
def _register_font(path: str) -> str:
    if not Path(path).is_file():
        raise ReportFontMissing(
            f"The valuation report needs the CJK font {path}: install Debian's "
            "fonts-wqy-microhei, or set REPORT_FONT_FILE to a TrueType font with Chinese glyphs."
        )
    pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))  # a collection's first face
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT, italic=FONT, boldItalic=FONT)
    # Charts start from reportlab's default graphics font (Helvetica, not embedded): the report
    # is the process's only reportlab document, so its font becomes that default.
    rl_config.defaultGraphicsFontName = FONT
    return FONT


def render(facts: ReportFacts, lang: str, font_file: str = DEFAULT_FONT_FILE) -> bytes:
    """The report of one valuation as PDF bytes (the same bytes for the same facts)."""
    font = _register_font(font_file)
    w = words(lang)
    v = facts.valuation
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=f"{w['title']} {v['id']}",
        author="IPX",
        invariant=True,  # no creation time or random id: the same facts give the same file
        initialFontName=font,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        lang="zh-CN" if lang == "zh" else "en",
    )
    story = _Story(font, w, lang)
    story.document(facts)

    def footer(canvas, _doc) -> None:
        canvas.setFont(font, 7)
        canvas.drawString(18 * mm, 9 * mm, f"{w['valuation']} {v['id']} · {w['page']} {_doc.page}")

    doc.build(story.flowables, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


class _Story:
    """The report's flowables, section by section."""

    def __init__(self, font: str, w: Mapping[str, str], lang: str) -> None:
        self.font, self.w, self.lang = font, w, lang
        self.flowables: list[Flowable] = []
        self.body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=7.5, leading=10)
        self.h1 = ParagraphStyle("h1", fontName=font, fontSize=16, leading=22, spaceAfter=4)
        self.h2 = ParagraphStyle(
            "h2", fontName=font, fontSize=11.5, leading=16, spaceBefore=8, spaceAfter=3
        )

    def document(self, f: ReportFacts) -> None:
        v, w = f.valuation, self.w
        self.flowables.append(Paragraph(escape(w["title"]), self.h1))
        self.pairs(
            [
                (w["valuation"], str(v["id"])),
                (w["created_at"], _timestamp(v["created_at"])),
                (w["as_of"], v["as_of"]),
                (w["model_version"], v["model_version"]),
            ]
        )
        self.asset(f)
        self.inputs(f)
        self.score(v)
        self.survival(v)
        self.value_range(v, f.request)
        self.collateral(v)
        self.drivers(v)
        self.flags(v)
        self.validity(v)
        self.model(f)
        self.ledger(f)
        self.heading("limits")
        for line in limits(self.lang):
            self.text("• " + line)

    # --- building blocks -----------------------------------------------------------------

    def heading(self, key: str) -> None:
        self.flowables.append(Paragraph(escape(self.w[key]), self.h2))

    def text(self, words: str, style: ParagraphStyle | None = None) -> None:
        self.flowables.append(Paragraph(escape(words), style or self.body))

    def pairs(self, rows: list[tuple[str, object]]) -> None:
        self.table([[k, "—" if v is None else str(v)] for k, v in rows], widths=(55 * mm, None))

    def table(self, rows: list[list], *, header: bool = False, widths=None) -> None:
        cells = [[Paragraph(escape(str(c)), self.small) for c in row] for row in rows]
        table = Table(cells, colWidths=widths, hAlign="LEFT", repeatRows=1 if header else 0)
        style: list = [
            ("FONTNAME", (0, 0), (-1, -1), self.font),  # else Helvetica, never embedded
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9aa5b1")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e9ef")))
        table.setStyle(TableStyle(style))
        self.flowables += [table, Spacer(1, 2 * mm)]

    def kind(self, kind: str) -> str:
        return KIND_NAMES[self.lang].get(kind, kind)

    def status(self, status: str) -> str:
        return STATUS_NAMES[self.lang].get(status, status)

    # --- sections ------------------------------------------------------------------------

    def asset(self, f: ReportFacts) -> None:
        w, a = self.w, f.asset
        self.heading("asset")
        if a is None:
            self.text(w["no_asset"])
            self.pairs([(w["kind"], self.kind(f.request.get("kind") or ""))])
            return
        self.pairs(
            [
                (w["kind"], self.kind(a.kind)),
                (w["number"], a.number),
                (w["asset_title"], a.title),
                (w["holders"], "、".join(a.holders) if self.lang == "zh" else "; ".join(a.holders)),
                (w["status"], self.status(a.status)),
                (w["filing_date"], a.filing_date),
                (w["grant_date"], a.grant_date),
                (w["expiry_date"], a.expiry_date),
                (w["fees_paid_until"], a.fees_paid_until),
                (w["ipc"], a.ipc),
            ]
        )
        self.heading("pledges")
        if a.pledges:
            self.table([[p.registration_number, self.status(p.status)] for p in a.pledges])
        else:
            self.text(w["not_pledged"])

    def inputs(self, f: ReportFacts) -> None:
        w, request, v = self.w, f.request, f.valuation
        given = w["src_registry"] if f.asset is not None else w["src_request"]
        imputed = set(v.get("imputed") or [])
        features = request.get("features") or {}
        rows = [[w["input"], w["value"], w["source"]]]
        for name in PATENT_COUNTS:
            if name in imputed:
                rows.append([name, "—", w["src_imputed"]])
            elif features.get(name) is not None:
                rows.append([name, features[name], given])
        for name in ("ipc", "filing_date", "grant_date", "expiry_date"):
            if request.get(name) is not None:
                rows.append([w[name], request[name], given])
        validity = v.get("validity") or {}
        if v.get("score") is not None:
            used = validity.get("owner_history_used")
            rows.append([w["owner_history"], w["owner_used"] if used else w["owner_priors"], ""])
        rows.append(
            [w["loan_term_months"], request.get("loan_term_months") or "—", w["src_request"]]
        )
        rows.append([w["as_of"], v["as_of"], w["src_request"]])
        self.heading("inputs")
        self.table(rows, header=True, widths=(55 * mm, 45 * mm, None))

    def score(self, v: dict) -> None:
        w = self.w
        self.heading("score")
        if v.get("score") is None:
            reasons = [
                f["message"] for f in v.get("flags", []) if f["code"] == "model-not-applicable"
            ]
            summary = (v.get("validity") or {}).get("summary")
            self.text(f"{w['unscored']}: " + " ".join(reasons or [summary or ""]))
            return
        grades = (v.get("validity") or {}).get("grades") or []
        self.pairs(
            [
                (w["score_label"], v["score"]),
                (w["grade"], v["grade"]),
                (w["case_grades"], ", ".join(grades)),
                (w["p_maturity"], v.get("p_in_force_at_maturity")),
            ]
        )

    def survival(self, v: dict) -> None:
        if not v.get("survival"):
            return
        w = self.w
        drawing = survival_drawing(
            v["survival"], self.font, w["years_after_grant"], w["p_in_force"]
        )
        heading = Paragraph(escape(w["survival"]), self.h2)
        self.flowables.append(KeepTogether([heading, drawing]))
        self.text(w["survival_alt"], self.small)
        rows = [[w["stage"], w["years_after_grant"], w["p_in_force"]]]
        rows += [[s["stage"], s["years_after_grant"], s["p_in_force"]] for s in v["survival"]]
        self.table(rows, header=True, widths=(25 * mm, 35 * mm, 35 * mm))

    def value_range(self, v: dict, request: dict) -> None:
        w, value = self.w, v.get("value")
        self.heading("range")
        if value is None:
            self.text(w["no_value"])
            return
        self.table(
            [
                ["", "p10", "p50", "p90"],
                [value["currency"], value["p10"], value["p50"], value["p90"]],
            ],
            header=True,
            widths=(25 * mm, 40 * mm, 40 * mm, 40 * mm),
        )
        a = value["assumptions"]
        asked = request.get("economics") or {}
        royalty_source = (
            w["src_request"] if asked.get("royalty_rate") is not None else w["src_royalty_assumed"]
        )
        rows = [[w["input"], w["value"], w["source"]]]
        rows.append([w["annual_revenue"], a.get("annual_revenue"), w["src_request"]])
        rows.append([w["royalty_rate"], a.get("royalty_rate"), royalty_source])
        for name, default in ECONOMICS_DEFAULTS.items():
            source = w["src_default"] if a.get(name) == default else w["src_request"]
            rows.append([w[name], a.get(name), source])
        term = f"{a.get('days')} {w['days']} / {a.get('years')} {w['years']}"
        rows.append([w["remaining_term"], term, ""])
        if a.get("uncertainty"):
            rows.append([w["uncertainty"], _plain(a["uncertainty"]), ""])
        self.table(rows, header=True, widths=(40 * mm, 60 * mm, None))

    def collateral(self, v: dict) -> None:
        w, c = self.w, v["collateral"]
        self.heading("collateral")
        self.pairs(
            [
                (w["ltv_cap"], c["ltv_cap"]),
                (w["collateral_value"], c["collateral_value"]),
                (w["max_loan"], c["max_loan"]),
            ]
        )

    def drivers(self, v: dict) -> None:
        w = self.w
        self.heading("drivers")
        if not v.get("drivers"):
            self.text(w["no_drivers"])
            return
        rows = [[w["feature"], w["value"], w["contribution"]]]
        rows += [[d["feature"], f"{d['value']:g}", d["contribution"]] for d in v["drivers"]]
        self.table(rows, header=True, widths=(55 * mm, 35 * mm, 35 * mm))
        self.text(v.get("drivers_space") or "", self.small)

    def flags(self, v: dict) -> None:
        self.heading("flags")
        if not v.get("flags"):
            self.text(self.w["no_flags"])
            return
        self.table([[f["code"], f["message"]] for f in v["flags"]], widths=(45 * mm, None))

    def validity(self, v: dict) -> None:
        w, validity = self.w, v.get("validity") or {}
        self.heading("validity")
        self.pairs([(w["case"], validity.get("case")), (w["design"], validity.get("design"))])
        if validity.get("stages"):
            rows = [[w["stage"], w["approach"], "n", "AUC", "Brier", "ECE"]]
            rows += [
                [s["stage"], s["approach"], s["n"], s["auc"], s["brier"], s["ece"]]
                for s in validity["stages"]
            ]
            self.table(rows, header=True)
        self.text(validity.get("summary") or "", self.small)

    def model(self, f: ReportFacts) -> None:
        w, m = self.w, f.model
        self.heading("model")
        data = None
        if m.training_file:
            data = f"{m.training_file}, {m.training_rows} rows, SHA-256 {m.training_sha256}"
        self.pairs(
            [
                (w["model_version"], m.version),
                (w["schema_hash"], f.valuation.get("feature_schema_hash")),
                (w["training_data"], data),
            ]
        )
        if m.what_it_is:
            self.text(m.what_it_is, self.small)
        elif not m.serving:
            self.text(w["card_other"].format(v=m.version), self.small)

    def ledger(self, f: ReportFacts) -> None:
        w, anchor = self.w, f.anchor
        self.heading("ledger")
        if anchor is None:
            self.text(w["no_entry"])
            return
        self.pairs(
            [
                (w["entry"], anchor.index),
                (w["leaf_hash"], anchor.leaf_hash),
                (w["result_digest"], anchor.result_digest),
                (w["checkpoint"], f"{w['tree_size']} {anchor.tree_size}"),
                (w["root_hash"], anchor.root_hash),
                (w["signed_at"], utc_text(anchor.signed_at)),
            ]
        )
        self.text(w["verify"].format(i=anchor.index), self.small)


def _timestamp(value: datetime | str) -> str:
    """A time as the console writes it (China Standard Time, to the minute), saying the zone:
    ``2026-12-03 14:05 (UTC+8)`` in either language (the API's JSON keeps ISO 8601 UTC)."""
    return china_minutes_with_zone(value)


def _plain(mapping: Mapping) -> str:
    return ", ".join(f"{k} {v}" for k, v in mapping.items())
