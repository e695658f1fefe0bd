"""The sample files: they load, every identifier validates, references resolve, dates agree."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import date
from itertools import islice
from pathlib import Path

import pytest

from ipx.registry.numbers import (
    normalise_asset_number,
    validate_credit_code,
    validate_identity_number,
)
from ipx.registry.samples import (
    SAMPLES_DIR,
    SNAPSHOT_DATE,
    load_sample_assets,
    load_sample_parties,
    synthetic_assets,
)
from ipx.registry.terms import protection_expiry

PARTIES = load_sample_parties()
ASSETS = load_sample_assets()
PARTY_KEYS = {p["key"] for p in PARTIES}
FEATURES = {"claims", "backward_citations", "npl_citations", "family_size", "inventors",
            "similar_docs"}  # fmt: skip
SOURCE_CSV = SAMPLES_DIR.parents[2] / "shared" / "data" / "cn-invention-indicators" / "patents.csv"


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def test_sizes_and_kinds() -> None:
    assert 25 <= len(PARTIES) <= 40
    kinds = Counter(a["kind"] for a in ASSETS)
    assert kinds["invention"] >= 200
    assert {"utility_model", "design", "trademark", "copyright"} <= set(kinds)
    categories = Counter(p["category"] for p in PARTIES)
    assert categories["bank"] >= 3 and categories["university"] >= 3
    assert categories["individual"] >= 1


def test_keys_and_numbers_are_unique() -> None:
    assert len(PARTY_KEYS) == len(PARTIES)
    assert len({a["key"] for a in ASSETS}) == len(ASSETS)
    assert len({(a["kind"], a["number"]) for a in ASSETS}) == len(ASSETS)
    codes = [p["credit_code"] for p in PARTIES if p["kind"] == "organization"]
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize("party", PARTIES, ids=lambda p: p["key"])
def test_every_party_identifier_validates(party) -> None:
    if party["kind"] == "organization":
        assert validate_credit_code(party["credit_code"]) == party["credit_code"]
        assert "id_number" not in party
    else:
        assert party["kind"] == "individual" and party["synthetic"] is True
        assert validate_identity_number(party["id_number"]) == party["id_number"]


@pytest.mark.parametrize("asset", ASSETS, ids=lambda a: a["key"])
def test_every_asset_is_consistent(asset) -> None:
    kind = asset["kind"]
    assert normalise_asset_number(kind, asset["number"], today=SNAPSHOT_DATE) == asset["number"]
    assert asset["key"] == f"asset:{kind}:{asset['number']}"
    assert asset["holder_keys"] and set(asset["holder_keys"]) <= PARTY_KEYS
    assert asset["title"].strip()
    filed, granted = _date(asset["filing_date"]), _date(asset.get("grant_date"))
    assert filed <= SNAPSHOT_DATE
    assert (granted is None) == (asset["status"] == "pending")
    assert granted is None or filed <= granted <= SNAPSHOT_DATE
    expiry = protection_expiry(kind, filed, _date(asset.get("expiry_date")))
    paid = _date(asset.get("fees_paid_until"))
    if asset["status"] == "granted" and kind in ("invention", "utility_model", "design"):
        assert paid is not None and SNAPSHOT_DATE < paid <= expiry
    if asset["status"] == "lapsed":
        assert paid is not None and paid < SNAPSHOT_DATE
    if "features" in asset:
        assert set(asset["features"]) == FEATURES


def test_invention_indicators_come_from_the_study() -> None:
    inventions = [a for a in ASSETS if a["kind"] == "invention"]
    assert all(a["source"]["dataset"] == "cn-invention-indicators" for a in inventions)
    assert all(a["features"]["claims"] >= 1 for a in inventions)
    assert all(a["features"]["npl_citations"] is None for a in inventions)
    assert all(a["ipc"] and a["ipc"][4] == " " for a in inventions)  # "C22C 38/00" form
    # some co-owned rights, held by a university and a company
    assert sum(len(a["holder_keys"]) > 1 for a in ASSETS) >= 10


def test_designs_straddle_the_term_change() -> None:
    filed = {_date(a["filing_date"]) for a in ASSETS if a["kind"] == "design"}
    assert any(d < date(2021, 6, 1) for d in filed) and any(d >= date(2021, 6, 1) for d in filed)


def test_loaders_accept_a_directory(tmp_path: Path) -> None:
    for name in ("parties", "assets"):
        (tmp_path / f"{name}.json").write_text(f'{{"{name}": [{{"key": "x"}}]}}', "utf-8")
    assert load_sample_parties(tmp_path) == [{"key": "x"}]
    assert load_sample_assets(str(tmp_path)) == [{"key": "x"}]


def test_synthetic_assets_are_valid_unique_and_marked() -> None:
    bulk = list(synthetic_assets(3000, seed=1))
    numbers = [a["number"] for a in bulk]
    assert len(set(numbers)) == 3000
    assert not set(numbers) & {a["number"] for a in ASSETS}
    for asset in bulk[::97]:
        assert normalise_asset_number("invention", asset["number"]) == asset["number"]
        assert asset["synthetic"] is True and "synthetic" in asset["title"]
        assert set(asset["holder_keys"]) <= PARTY_KEYS
        assert set(asset["features"]) == FEATURES


def test_synthetic_assets_are_deterministic_and_extend() -> None:
    assert list(synthetic_assets(50, seed=7)) == list(islice(synthetic_assets(500, seed=7), 50))
    first = [a["number"] for a in synthetic_assets(20, seed=1)]
    assert first == [a["number"] for a in synthetic_assets(20, seed=2)]


@pytest.mark.skipif(not SOURCE_CSV.exists(), reason="the shared source data is not present")
def test_build_script_reproduces_the_committed_files(tmp_path: Path) -> None:
    script = SAMPLES_DIR / "build_samples.py"
    subprocess.run(
        [sys.executable, str(script), "--source", str(SOURCE_CSV), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for name in ("parties.json", "assets.json"):
        assert (tmp_path / name).read_bytes() == (SAMPLES_DIR / name).read_bytes()
