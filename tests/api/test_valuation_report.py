"""The valuation report (PDF): for every kind, in Chinese and English, read back with poppler.

The text poppler extracts must carry the valuation id, the pledge's registration number and
p10/p50/p90 exactly as the API gives them, and the ledger anchor must be a checkpoint the
ledger API serves; the first page must render to a PNG that is not blank.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, datetime, timedelta, timezone

import pytest
from PIL import Image

from ipx.registry.numbers import make_patent_number
from tests.registry_helpers import assert_problem

API = "/api/v1"
ECONOMICS = {"annual_revenue": "3000000.00", "royalty_rate": 0.04}
SCORED = ("invention", "utility_model")
UNSCORED = ("design", "trademark")


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    assert path, f"{tool} is missing: install Debian's poppler-utils"
    return path


def pdf_text(pdf: bytes, tmp_path) -> str:
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    done = subprocess.run(
        [_poppler("pdftotext"), "-enc", "UTF-8", str(source), "-"],
        capture_output=True,
        check=True,
    )
    return done.stdout.decode()


@pytest.fixture
def world(registry, keys):
    owner = registry.party("华东材料科技股份有限公司")
    bank = registry.party("中国银行股份有限公司上海分行")
    other_bank = registry.party("浦江商业银行")
    today = date.today()
    assets = {
        "invention": registry.asset([owner]),
        "utility_model": registry.asset(
            [owner], kind="utility_model", number=make_patent_number(2023, 2, 4501)
        ),
        "design": registry.asset(
            [owner],
            kind="design",
            number=make_patent_number(2023, 3, 4502),
            ipc=None,
            features=None,
        ),
        "trademark": registry.asset(
            [owner],
            kind="trademark",
            number="56781234",
            title="新材",
            grant_date=None,
            ipc=None,
            features=None,
            fees_paid_until=None,
            expiry_date=(today + timedelta(days=3000)).isoformat(),
        ),
    }
    return {
        "registry": registry,
        "owner": owner,
        "bank_id": bank,
        "assets": assets,
        "bank": keys.header("bank", bank),
        "other_bank": keys.header("bank", other_bank),
        "auditor": keys.header("auditor"),
    }


def china_minutes(iso: str) -> str:
    """The API's ISO 8601 UTC time as the report writes it: UTC+8, to the minute, zone named."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return moment.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M (UTC+8)")


def value(client, headers, asset_id: int, **extra) -> dict:
    body = {"asset_id": asset_id, "loan_term_months": 24, "economics": ECONOMICS, **extra}
    response = client.post(f"{API}/valuations", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def report(client, headers, valuation_id: int, lang: str | None = None):
    query = f"?lang={lang}" if lang else ""
    return client.get(f"{API}/valuations/{valuation_id}/report.pdf{query}", headers=headers)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", SCORED + UNSCORED)
def test_the_report_of_every_kind_carries_the_figures_the_api_gave(
    client, world, tmp_path, kind, lang
):
    valuation = value(client, world["bank"], world["assets"][kind]["id"], explain=True)
    response = report(client, world["bank"], valuation["id"], lang)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    text = pdf_text(response.data, tmp_path)
    label = "估值编号" if lang == "zh" else "Valuation"
    assert re.search(rf"{label} {valuation['id']} · ", text), "the footer names the valuation"
    valued_at = "估值时间" if lang == "zh" else "Valued at"
    assert re.search(rf"{valued_at}\s+{re.escape(china_minutes(valuation['created_at']))}", text)
    assert valuation["created_at"] not in text, "minutes in China, not the API's ISO time"
    assert world["assets"][kind]["number"] in text
    for bound in ("p10", "p50", "p90"):
        assert valuation["value"][bound] in text.split(), bound
    assert valuation["collateral"]["collateral_value"] in text.split()
    if kind in SCORED:
        assert f"{valuation['score']}" in text.split() and valuation["grade"] in text.split()
        for stage in valuation["survival"]:
            assert str(stage["p_in_force"]) in text.split()
        assert valuation["validity"]["case"] in text
    else:
        assert valuation["score"] is None
        assert ("未评分" if lang == "zh" else "Not scored") in text
        reason = next(f for f in valuation["flags"] if f["code"] == "model-not-applicable")
        assert " ".join(reason["message"].split()) in " ".join(text.split())


def test_chinese_is_the_default_and_english_is_asked_for(client, world, tmp_path):
    valuation = value(client, world["bank"], world["assets"]["invention"]["id"])
    default = pdf_text(report(client, world["bank"], valuation["id"]).data, tmp_path)
    english = pdf_text(report(client, world["bank"], valuation["id"], "en").data, tmp_path)
    assert "知识产权估值报告" in default and "发明专利" in default
    assert "IP valuation report" in english and "知识产权估值报告" not in english
    assert "华东材料科技股份有限公司" in english  # names stay as registered


def test_a_pledged_asset_shows_its_registration_number(client, world, tmp_path):
    asset = world["assets"]["invention"]
    valuation = value(client, world["bank"], asset["id"])
    pledge = world["registry"].pledge(
        world["owner"], world["bank_id"], [asset["id"]], valuation_id=valuation["id"]
    )
    text = pdf_text(report(client, world["bank"], valuation["id"], "en").data, tmp_path)
    assert pledge["registration_number"] in text


def test_an_asset_not_pledged_says_so(client, world, tmp_path):
    valuation = value(client, world["bank"], world["assets"]["invention"]["id"])
    text = pdf_text(report(client, world["bank"], valuation["id"], "en").data, tmp_path)
    assert "not under a registered pledge" in text and "IPX-P-" not in text


def test_the_anchor_is_a_checkpoint_the_ledger_serves(client, world, tmp_path):
    valuation = value(client, world["bank"], world["assets"]["invention"]["id"])
    text = pdf_text(report(client, world["bank"], valuation["id"], "en").data, tmp_path)
    tree_size = int(re.search(r"Tree size (\d+)", text)[1])
    index = int(re.search(r"Log entry\s+(\d+)", text)[1])
    assert index < tree_size
    checkpoint = client.get(f"{API}/ledger/checkpoint?tree_size={tree_size}").get_json()
    assert checkpoint["root_hash"] in text
    receipt = client.get(f"{API}/ledger/entries/{index}/receipt", headers=world["bank"])
    assert receipt.status_code == 200
    assert receipt.get_json()["leaf_hash"] in text  # the entry is this valuation's


def test_the_first_page_renders_and_is_not_blank(client, world, tmp_path):
    valuation = value(client, world["bank"], world["assets"]["invention"]["id"])
    source = tmp_path / "report.pdf"
    source.write_bytes(report(client, world["bank"], valuation["id"]).data)
    subprocess.run(
        [_poppler("pdftoppm"), "-png", "-r", "72", "-f", "1", "-l", "1", "-singlefile"]
        + [str(source), str(tmp_path / "page")],
        check=True,
    )
    with Image.open(tmp_path / "page.png") as page:
        grey = page.convert("L")
        inked = sum(grey.histogram()[:200])  # a blank page has none; this one about 6 %
        assert inked > 0.02 * grey.width * grey.height, "text and rules, not an empty page"


def test_every_font_is_embedded(client, world, tmp_path):
    valuation = value(client, world["bank"], world["assets"]["invention"]["id"])
    source = tmp_path / "report.pdf"
    source.write_bytes(report(client, world["bank"], valuation["id"]).data)
    fonts = subprocess.run(
        [_poppler("pdffonts"), str(source)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert fonts, "the report sets its text in a font"
    for line in fonts:
        assert line.split()[-5:-2] == ["yes", "yes", "yes"], line  # embedded, subset, unicode


def test_readers_are_those_of_the_valuation(client, world, keys):
    valuation = value(client, world["bank"], world["assets"]["invention"]["id"])
    assert report(client, world["auditor"], valuation["id"]).status_code == 200
    assert_problem(report(client, world["other_bank"], valuation["id"]), 404, "not-found")
    asset_owner = keys.header("owner", world["owner"])  # its asset, but another's valuation
    assert_problem(report(client, asset_owner, valuation["id"]), 404, "not-found")
    assert_problem(report(client, {}, valuation["id"]), 401, "unauthorized")
    assert_problem(report(client, world["bank"], valuation["id"] + 1000), 404, "not-found")


def test_an_unknown_language_is_refused(client, world):
    valuation = value(client, world["bank"], world["assets"]["invention"]["id"])
    assert_problem(report(client, world["bank"], valuation["id"], "fr"), 422, "validation-failed")


def test_without_the_font_the_report_is_refused_clearly(app, client, world, tmp_path):
    valuation = value(client, world["bank"], world["assets"]["invention"]["id"])
    app.config["REPORT_FONT_FILE"] = str(tmp_path / "no-such-font.ttc")
    body = assert_problem(report(client, world["bank"], valuation["id"]), 503)
    assert body["code"] == "report-font-missing" and "fonts-wqy-microhei" in body["detail"]


def test_the_report_font_is_a_setting_of_the_environment(monkeypatch, tmp_path):
    from ipx.config import load_config

    assert load_config(tmp_path)["REPORT_FONT_FILE"] is None  # Debian's, by default
    monkeypatch.setenv("IPX_REPORT_FONT_FILE", "/srv/fonts/NotoSansCJK.ttc")
    assert load_config(tmp_path)["REPORT_FONT_FILE"] == "/srv/fonts/NotoSansCJK.ttc"


def test_a_patent_described_in_the_request_is_reported_as_such(client, world, tmp_path):
    body = {
        "features": {"claims": 9, "inventors": 2},
        "ipc": "H01M 4/36",
        "filing_date": "2020-03-02",
        "grant_date": "2022-05-10",
        "economics": ECONOMICS,
    }
    answer = client.post(f"{API}/valuations", json=body, headers=world["bank"])
    assert answer.status_code == 201, answer.get_json()
    valuation = answer.get_json()
    text = pdf_text(report(client, world["bank"], valuation["id"], "en").data, tmp_path)
    assert "Not a registered asset" in " ".join(text.split())
    assert valuation["value"]["p50"] in text.split() and "the request" in text
