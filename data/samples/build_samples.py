"""Regenerate data/samples/parties.json and data/samples/assets.json, deterministically.

Run by a developer from the repository root:

    python data/samples/build_samples.py [--source PATH]

PATH defaults to ../shared/data/cn-invention-indicators/patents.csv (next to the repository).

The application never runs this; it reads only the JSON files. Running it twice gives
byte-identical files (fixed seed, fixed snapshot date, sorted output).

What is real and what is not:
- Invention titles, claim counts (ind_claims + dep_claims), backward citations, family size and
  inventor counts are copied from the cn-invention-indicators study (github.com/ZcsLv/patent-value,
  no licence file; cite it). The source has no numbers, dates, holders or IPC codes: numbers are
  generated (valid CNIPA check characters, type 1 or 8), dates and holders are invented, and the
  main IPC group is derived from title keywords (see IPC_RULES). npl_citations and similar_docs
  are null because the source has no such columns.
- Every party is fictitious: names are generic, credit codes are generated to pass GB 32100
  and GB 11714, and the individuals' identity numbers are synthetic (valid check character and
  birth date, belonging to nobody).
- Utility models, designs, trademarks and copyrights are invented for coverage of every kind.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import random
import sys
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from ipx.registry.numbers import (  # noqa: E402
    CREDIT_CODE_CHARSET,
    make_credit_code,
    make_identity_number,
    make_patent_number,
)
from ipx.registry.samples import SNAPSHOT_DATE, fees_paid_through  # noqa: E402
from ipx.registry.terms import protection_expiry  # noqa: E402

DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "cn-invention-indicators" / "patents.csv"
OUT = Path(__file__).resolve().parent
SEED = 20261101
N_INVENTIONS = 200

# (key suffix, name, category, 6-digit division of the registering authority)
ORGANIZATIONS = [
    ("univ-binhai-tech", "滨海理工大学", "university", "120116"),
    ("univ-nanling-industrial", "南岭工业大学", "university", "360702"),
    ("univ-beiyuan-st", "北原科技大学", "university", "150203"),
    ("univ-jiangcheng-chem", "江城化工大学", "university", "420111"),
    ("univ-dongyue-tech", "东岳理工大学", "university", "370102"),
    ("univ-qinchuan-materials", "秦川材料大学", "university", "610113"),
    ("univ-haixia-eng", "海峡工程大学", "university", "350203"),
    ("univ-tianfu-metallurgy", "天府冶金大学", "university", "510107"),
    ("inst-central-rare-earth", "中部稀土功能材料研究院", "research_institute", "430104"),
    ("inst-dongfang-catalysis", "东方催化技术研究所", "research_institute", "210204"),
    ("co-huadong-materials", "华东材料科技股份有限公司", "company", "310115"),
    ("co-beifang-magnet", "北方磁材科技有限公司", "company", "150204"),
    ("co-gannan-rare-earth", "赣南稀土新材料有限公司", "company", "360702"),
    ("co-jiangnan-alloy", "江南合金股份有限公司", "company", "320505"),
    ("co-shenlan-catalyst", "深蓝催化技术有限公司", "company", "440305"),
    ("co-huazhong-energy", "华中储能材料有限公司", "company", "420111"),
    ("co-tianhe-optoelectronic", "天和光电材料股份有限公司", "company", "330106"),
    ("co-xibu-ceramics", "西部精密陶瓷有限公司", "company", "510107"),
    ("co-haiyue-environment", "海岳环保科技有限公司", "company", "370212"),
    ("co-changfeng-motor", "长风永磁电机有限公司", "company", "330212"),
    ("co-hengsheng-polishing", "恒晟抛光材料有限公司", "company", "150204"),
    ("co-xinglan-software", "星澜软件科技有限公司", "company", "110108"),
    ("co-qinghe-daily", "青禾日用品有限公司", "company", "440106"),
    ("bank-hanhai-shanghai", "瀚海银行股份有限公司上海分行", "bank", "310115"),
    ("bank-hanhai-ganzhou", "瀚海银行股份有限公司赣州分行", "bank", "360702"),
    ("bank-jianghai-nanjing", "江海银行股份有限公司南京分行", "bank", "320102"),
    ("bank-jiahe-shenzhen", "嘉禾银行股份有限公司深圳分行", "bank", "440304"),
    ("bank-hengtong-baotou", "恒通银行股份有限公司包头分行", "bank", "150203"),
    ("bank-huichuan-wuhan", "汇川银行股份有限公司武汉分行", "bank", "420106"),
]
# (key suffix, name, area, birth date, sequence): synthetic people
INDIVIDUALS = [
    ("person-li-mingyuan", "李明远", "360702", date(1968, 4, 12), 131),
    ("person-wang-xiaomei", "王晓梅", "150203", date(1979, 9, 3), 242),
    ("person-chen-li", "陈立", "420111", date(1985, 2, 28), 357),
]

# First matching keyword group decides the main IPC group of an invention (derived, not sourced).
IPC_RULES = [
    (("超导",), "H10N 60/00"),
    (("永磁", "钕铁硼", "磁体", "磁粉", "磁性", "磁致"), "H01F 1/057"),
    (("储氢",), "H01M 4/38"),
    (("电池", "电极", "正极", "负极", "电解质"), "H01M 4/36"),
    (("发光", "荧光", "闪烁", "上转换"), "C09K 11/77"),
    (("催化",), "B01J 23/10"),
    (("抛光",), "C09G 1/02"),
    (("萃取", "分离", "回收", "浸出", "浸取", "冶炼", "提取", "提纯", "除杂"), "C22B 59/00"),
    (("微晶玻璃",), "C03C 10/00"),
    (("玻璃",), "C03C 3/00"),
    (("陶瓷", "耐火"), "C04B 35/00"),
    (("焊",), "B23K 35/00"),
    (("喷涂", "镀", "涂层"), "C23C 4/00"),
    (("涂料", "油漆", "腻子"), "C09D 5/00"),
    (("橡胶", "塑料", "聚合", "树脂", "纤维", "高分子"), "C08K 3/00"),
    (("铝合金", "铝锂", "铝材"), "C22C 21/00"),
    (("镁合金", "镁"), "C22C 23/00"),
    (("钢", "铁"), "C22C 38/00"),
    (("铜",), "C22C 9/00"),
    (("合金",), "C22C 30/00"),
    (("肥", "营养", "饲料"), "C05D 9/02"),
    (("传感", "检测", "测定", "分析"), "G01N 21/00"),
]
DEFAULT_IPC = "C01F 17/00"  # compounds of rare-earth metals: the study's common denominator


def main_ipc(title: str) -> str:
    """The main IPC group implied by the keywords of a title."""
    for keywords, ipc in IPC_RULES:
        if any(word in title for word in keywords):
            return ipc
    return DEFAULT_IPC


def build_parties(rng: random.Random) -> list[dict]:
    """Fictitious organizations with valid credit codes and synthetic individuals."""
    parties = []
    for suffix, name, category, division in ORGANIZATIONS:
        if category in ("university", "research_institute"):
            # public institutions: registry 1 (establishment office), category 2
            body = "4" + "".join(rng.choice("0123456789") for _ in range(7))
            code = make_credit_code(body, division, registry="1", category="2")
        else:
            body = "MA" + "".join(rng.choice(CREDIT_CODE_CHARSET) for _ in range(6))
            code = make_credit_code(body, division)
        parties.append(
            {"key": f"party:{suffix}", "kind": "organization", "name": name,
             "credit_code": code, "category": category}
        )  # fmt: skip
    for suffix, name, area, birth, sequence in INDIVIDUALS:
        parties.append(
            {"key": f"party:{suffix}", "kind": "individual", "name": name,
             "id_number": make_identity_number(area, birth, sequence),
             "category": "individual", "synthetic": True}
        )  # fmt: skip
    return parties


def _holders(rng: random.Random, parties: list[dict]) -> list[str]:
    by = {c: [p["key"] for p in parties if p["category"] == c]
          for c in ("university", "research_institute", "company", "individual")}  # fmt: skip
    manufacturers = [k for k in by["company"] if "software" not in k and "daily" not in k]
    draw = rng.random()
    if draw < 0.15:  # university-industry co-ownership, the usual case for co-owned patents
        return [rng.choice(by["university"]), rng.choice(manufacturers)]
    if draw < 0.17:
        return [rng.choice(by["individual"])]
    pool = rng.choices(
        [by["university"], by["research_institute"], manufacturers], weights=[55, 10, 35]
    )[0]
    return [rng.choice(pool)]


def _unique_number(rng: random.Random, used: set, year: int, type_code: str, top: int) -> str:
    while (number := make_patent_number(year, type_code, rng.randrange(10_000, top))) in used:
        pass
    used.add(number)
    return number


def _legal_status(rng: random.Random, kind: str, filed: date, granted: date | None) -> dict:
    """Status and fees as of SNAPSHOT_DATE: mostly in force, some lapsed or invalidated."""
    expiry = protection_expiry(kind, filed)
    if granted is None:
        return {"status": "pending"}
    draw = rng.random()
    if draw < 0.08 and granted < SNAPSHOT_DATE - timedelta(days=730):
        stopped = max(granted, SNAPSHOT_DATE - timedelta(days=365 * rng.randint(2, 5)))
        paid = fees_paid_through(filed, expiry, as_of=stopped, years_ahead=0)
        return {"status": "lapsed", "fees_paid_until": paid.isoformat()}
    status = "invalidated" if draw < 0.10 else "granted"
    return {"status": status, "fees_paid_until": fees_paid_through(filed, expiry).isoformat()}


def build_inventions(rows: list[dict], rng: random.Random, parties, used: set) -> list[dict]:
    """N_INVENTIONS inventions with titles and indicators from the study's rows."""
    picked = sorted(rng.sample(range(len(rows)), N_INVENTIONS))
    assets = []
    for index in picked:
        row = rows[index]
        pending = rng.random() < 0.08
        year = rng.randint(2023, 2025) if pending else rng.randint(2008, 2021)
        filed = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        granted = None if pending else filed + timedelta(days=rng.randrange(540, 1460))
        type_code = "8" if rng.random() < 0.05 else "1"
        number = _unique_number(rng, used, year, type_code, 1_800_000)
        asset = {
            "key": f"asset:invention:{number}", "kind": "invention", "number": number,
            "title": row["title"].strip(), "holder_keys": _holders(rng, parties),
            "filing_date": filed.isoformat(),
        }  # fmt: skip
        if granted:
            asset["grant_date"] = granted.isoformat()
        asset |= _legal_status(rng, "invention", filed, granted)
        asset["ipc"] = main_ipc(row["title"])
        asset["features"] = {
            "claims": int(row["ind_claims"]) + int(row["dep_claims"]),
            "backward_citations": int(row["back_incitions"]),
            "npl_citations": None,
            "family_size": int(row["num_family"]),
            "inventors": int(row["num_inventors"]),
            "similar_docs": None,
        }
        asset["source"] = {"dataset": "cn-invention-indicators", "record": index}  # 0-based
        assets.append(asset)
    return assets


# (kind, type code, title, holder key suffixes, filing date, months to grant, ipc)
OTHER_PATENTS = [
    ("utility_model", "2", "一种稀土永磁电机转子冲片结构", ["co-changfeng-motor"],
     date(2019, 3, 14), 8, "H02K 1/27"),
    ("utility_model", "2", "一种稀土抛光粉分级筛分装置", ["co-hengsheng-polishing"],
     date(2020, 11, 2), 7, "B07B 1/28"),
    ("utility_model", "2", "一种钕铁硼磁体表面镀膜夹具", ["co-beifang-magnet", "univ-beiyuan-st"],
     date(2021, 6, 18), 9, "C25D 17/06"),
    ("utility_model", "2", "一种稀土萃取槽防腐搅拌桨", ["co-gannan-rare-earth"],
     date(2022, 4, 7), 6, "B01D 11/04"),
    ("utility_model", "9", "一种汽车尾气催化转化器载体固定结构", ["co-shenlan-catalyst"],
     date(2023, 1, 9), 10, "F01N 3/28"),
    ("utility_model", "2", "一种储氢合金罐体散热装置", ["co-huazhong-energy"],
     date(2024, 5, 20), 7, "F17C 11/00"),
    ("design", "3", "永磁电机外壳", ["co-changfeng-motor"], date(2019, 8, 1), 5, None),
    ("design", "3", "稀土抛光粉包装桶", ["co-hengsheng-polishing"], date(2021, 5, 31), 4, None),
    ("design", "3", "荧光灯管（节能型）", ["co-tianhe-optoelectronic"], date(2021, 6, 1), 4, None),
    ("design", "3", "陶瓷过滤器", ["co-xibu-ceramics"], date(2023, 9, 12), 5, None),
]  # fmt: skip


def build_other_patents(rng: random.Random, used: set) -> list[dict]:
    """Utility models and designs (the design dates straddle the 2021-06-01 term change)."""
    assets = []
    for kind, type_code, title, holders, filed, months, ipc in OTHER_PATENTS:
        number = _unique_number(rng, used, filed.year, type_code, 4_000_000)
        granted = filed + timedelta(days=30 * months)
        claims = rng.randint(4, 10) if kind == "utility_model" else None
        asset = {
            "key": f"asset:{kind}:{number}", "kind": kind, "number": number, "title": title,
            "holder_keys": [f"party:{h}" for h in holders], "filing_date": filed.isoformat(),
            "grant_date": granted.isoformat(),
            "status": "granted",
            "fees_paid_until": fees_paid_through(filed, protection_expiry(kind, filed)).isoformat(),
        }  # fmt: skip
        if ipc:
            asset["ipc"] = ipc
        asset["features"] = {
            "claims": claims, "backward_citations": rng.randint(0, 5) if claims else None,
            "npl_citations": None, "family_size": 1, "inventors": rng.randint(1, 4),
            "similar_docs": None,
        }  # fmt: skip
        assets.append(asset)
    return assets


# (kind, number, title, holder, filing date, registration date, expiry, extra fields)
REGISTERED_RIGHTS = [
    ("trademark", "31234567", "北磁", "co-beifang-magnet", date(2018, 5, 8), date(2019, 3, 14),
     date(2029, 3, 13), {"nice_class": 9}),
    ("trademark", "40876512", "赣稀", "co-gannan-rare-earth", date(2019, 8, 22),
     date(2020, 6, 7), date(2030, 6, 6), {"nice_class": 1}),
    ("trademark", "52345098", "青禾", "co-qinghe-daily", date(2020, 12, 3), date(2021, 9, 21),
     date(2031, 9, 20), {"nice_class": 3}),
    ("trademark", "68120334", "澜图", "co-xinglan-software", date(2022, 11, 15),
     date(2023, 8, 28), date(2033, 8, 27), {"nice_class": 42}),
    ("copyright", "2021SR0456789", "星澜稀土供应链管理系统V2.0", "co-xinglan-software",
     date(2021, 3, 30), date(2021, 3, 30), date(2070, 12, 31), {"work_type": "software"}),
    ("copyright", "2023SR0123456", "星澜专利价值评估平台V1.0", "co-xinglan-software",
     date(2023, 1, 31), date(2023, 1, 31), date(2072, 12, 31), {"work_type": "software"}),
    ("copyright", "2022SR1098765", "磁材烧结炉温控软件V3.1", "co-beifang-magnet",
     date(2022, 8, 16), date(2022, 8, 16), date(2071, 12, 31), {"work_type": "software"}),
    ("copyright", "国作登字-2022-F-00012345", "青禾品牌形象设计", "co-qinghe-daily",
     date(2022, 4, 11), date(2022, 4, 11), date(2071, 12, 31), {"work_type": "fine_art"}),
]  # fmt: skip


def build_registered_rights() -> list[dict]:
    """Trademarks and copyrights, each with its explicit expiry date."""
    return [
        {"key": f"asset:{kind}:{number}", "kind": kind, "number": number, "title": title,
         "holder_keys": [f"party:{holder}"], "filing_date": filed.isoformat(),
         "grant_date": registered.isoformat(), "status": "granted",
         "expiry_date": expiry.isoformat(), **extra}
        for kind, number, title, holder, filed, registered, expiry, extra in REGISTERED_RIGHTS
    ]  # fmt: skip


PARTIES_NOTE = (
    "Fictitious parties. Credit codes are generated to pass GB 32100-2015 and GB 11714; "
    "identity numbers are synthetic (valid check character, no real person)."
)
ASSETS_NOTE = (
    "Invention titles and indicators from the cn-invention-indicators study "
    "(github.com/ZcsLv/patent-value); numbers, dates, holders and IPC groups are generated "
    "(IPC from title keywords). Other kinds are invented. Legal status as of snapshot_date."
)


def _write(out: Path, name: str, records: list[dict], meta: dict) -> None:
    text = json.dumps({**meta, name: records}, ensure_ascii=False, indent=1)
    (out / f"{name}.json").write_text(text + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    """Read the study's CSV and write both sample files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=OUT, help="directory to write into")
    args = parser.parse_args(argv)
    raw = args.source.read_bytes()
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    rng = random.Random(SEED)
    parties = build_parties(rng)
    used: set[str] = set()
    assets = build_inventions(rows, rng, parties, used) + build_other_patents(rng, used)
    assets += build_registered_rights()
    common = {"format": "ipx-samples/1", "generated_by": "data/samples/build_samples.py"}
    _write(args.out, "parties", parties, common | {"note": PARTIES_NOTE})
    source = {"source_sha256": hashlib.sha256(raw).hexdigest()}
    _write(
        args.out,
        "assets",
        assets,
        common | {"snapshot_date": str(SNAPSHOT_DATE), "note": ASSETS_NOTE} | source,
    )
    print(f"wrote {len(parties)} parties and {len(assets)} assets to {args.out}")


if __name__ == "__main__":
    main()
