"""The report's layout without a database: languages, determinism, the font check."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, date, datetime

import pytest

from ipx.valuation.report_facts import (
    AssetDescription,
    LedgerAnchor,
    ModelSummary,
    PledgeMention,
    ReportFacts,
)
from ipx.valuation.report_pdf import ReportFontMissing, render
from ipx.valuation.report_text import KIND_NAMES, LANGUAGES, STATUS_NAMES, limits, words

VALUATION = {
    "id": 42,
    "asset_id": 7,
    "model_version": "2026.12.0",
    "feature_schema_hash": "003b63879f5dcde2",
    "as_of": "2026-12-01",
    "score": 61.5,
    "grade": "BBB",
    "survival": [
        {"stage": 1, "years_after_grant": "3.5", "p_in_force": 0.9},
        {"stage": 2, "years_after_grant": "7.5", "p_in_force": 0.7},
        {"stage": 3, "years_after_grant": "11.5", "p_in_force": 0.4},
    ],
    "p_in_force_at_maturity": 0.95,
    "value": {
        "currency": "CNY",
        "p10": "100000.01",
        "p50": "200000.02",
        "p90": "300000.03",
        "assumptions": {
            "annual_revenue": "1000000.00",
            "royalty_rate": 0.05,
            "discount_rate": 0.12,
            "tax_rate": 0.25,
            "growth": 0.0,
            "days": 3650,
            "years": 9.99,
        },
    },
    "collateral": {"ltv_cap": "0.25", "collateral_value": "25000.00", "max_loan": "24000.00"},
    "drivers": None,
    "drivers_space": None,
    "flags": [],
    "imputed": [],
    "validity": {
        "case": "unseen-owner",
        "owner_history_used": False,
        "design": "grouped by owner",
        "stages": [
            {"stage": 1, "approach": "logistic", "n": 9, "auc": 0.61, "brier": 0.1, "ece": 0.02}
        ],
        "grades": ["AAA", "BBB", "C"],
        "summary": "The owner is absent from the reference data.",
    },
    "created_at": datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
}
ASSET = AssetDescription(
    kind="invention",
    number="202110355218.9",
    title="一种稀土永磁材料及其制备方法",
    holders=("上海新材科技有限公司",),
    status="granted",
    filing_date=date(2021, 4, 1),
    grant_date=date(2023, 3, 1),
    expiry_date=date(2041, 4, 1),
    fees_paid_until=date(2027, 3, 1),
    ipc="H01F 1/057",
    pledges=(PledgeMention("IPX-P-2026-000001", "registered"),),
)
FACTS = ReportFacts(
    valuation=VALUATION,
    request={"features": {"claims": 10}, "economics": {"royalty_rate": 0.05}},
    asset=ASSET,
    anchor=LedgerAnchor(3, "bGVhZg==", "ab" * 32, 4, "cm9vdA==", datetime(2026, 12, 1, tzinfo=UTC)),
    model=ModelSummary("2026.12.0", serving=True, training_file="data/samples/x.csv"),
)


def text_of(pdf: bytes, tmp_path) -> str:
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext is missing: install Debian's poppler-utils"
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        [pdftotext, str(path), "-"], capture_output=True, check=True
    ).stdout.decode()


def test_both_languages_have_every_label_and_the_limits():
    assert set(words("zh")) == set(words("en"))
    assert all(len(limits(lang)) == len(limits("en")) for lang in LANGUAGES)
    assert set(KIND_NAMES["zh"]) == set(KIND_NAMES["en"])
    assert set(STATUS_NAMES["en"]) <= set(STATUS_NAMES["zh"])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_same_facts_give_the_same_file(lang):
    assert render(FACTS, lang) == render(FACTS, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_figures_and_the_anchor_are_printed_as_given(lang, tmp_path):
    text = text_of(render(FACTS, lang), tmp_path)
    words_ = text.split()
    for figure in ("100000.01", "200000.02", "300000.03", "25000.00", "IPX-P-2026-000001"):
        assert figure in words_
    assert "202110355218.9" in text and "cm9vdA==" in text and "ab" * 32 in text
    assert limits(lang)[0][:10] in text


def test_a_royalty_rate_not_given_is_named_an_assumption(tmp_path):
    facts = ReportFacts(FACTS.valuation, {"economics": {}}, ASSET, None, FACTS.model)
    text = " ".join(text_of(render(facts, "en"), tmp_path).split())
    assert "assumed for the IPC section" in text
    assert "No log entry found" in text


def test_a_missing_font_is_refused_with_the_package_to_install(tmp_path):
    with pytest.raises(ReportFontMissing) as refused:
        render(FACTS, "zh", str(tmp_path / "missing.ttf"))
    assert refused.value.status == 503 and "fonts-wqy-microhei" in str(refused.value.detail)
