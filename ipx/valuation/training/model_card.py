"""MODEL_CARD.md and the printed validation report, both rendered from metadata.json."""

from __future__ import annotations

from ipx.valuation.training.evaluation import APPROACHES

_SPLITS = (("out_of_time", "Out of time"), ("grouped_by_owner", "Grouped by owner"))
#: Every design of the report, the two cases' own designs first.
_ALL_SPLITS = (
    ("unseen_owners", "Unseen owners, grouped by owner and out of time"),
    ("with_history", "Out of time, owner with history"),
    ("out_of_time", "Out of time, all owners"),
    ("out_of_time_owner_absent", "Out of time, owner absent from the training years"),
    ("grouped_by_owner", "Grouped by owner, all years"),
)
_CASES = (("unseen-owner", "unseen_owners"), ("owner-history", "with_history"))


def headline_table(report: dict) -> str:
    """Owners the model has never seen next to owners with history, per stage and approach."""
    lines = [
        "| stage | approach | unseen owners: n | AUC | Brier | ECE "
        "| with history: n | AUC | Brier | ECE |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    unseen, seen = report.get("unseen_owners", {}), report.get("with_history", {})
    for stage in sorted(set(unseen) | set(seen)):
        for name in APPROACHES:
            cells = []
            for part in (unseen, seen):
                m = part.get(stage, {}).get(name)
                cells.append(
                    f"{m['n']} | {m['auc']:.3f} | {m['brier']:.4f} | {m['ece']:.4f}"
                    if m
                    else "- | - | - | -"
                )
            lines.append(f"| {stage} | {name} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def unseen_verdict(report: dict) -> str:
    """Per stage, whether LightGBM beats the logistic regression for unseen owners, and what
    is therefore served to them."""
    out = []
    for stage, wins in sorted(report.get("lightgbm_beats_logistic_unseen_owners", {}).items()):
        word = "beats" if wins else "does NOT beat"
        served = report.get("served", {}).get("unseen-owner", {}).get(stage, "lightgbm")
        out.append(
            f"Stage {stage}, unseen owners: LightGBM {word} logistic regression on AUC and "
            f"Brier; served to them: {_NAMES[served]}."
        )
    return " ".join(out)


_NAMES = {"lightgbm": "LightGBM", "logistic": "the logistic regression", "heuristic": "heuristic"}


def served_table(report: dict) -> str:
    """Out-of-time figures of what is served (pooled over owners with and without history),
    next to LightGBM serving everyone (the procedure of the earlier model)."""
    lines = [
        "| stage | n | served: AUC | Brier | log loss | ECE | LightGBM for all: AUC | Brier "
        "| log loss | ECE |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for stage, m in sorted(report.get("served_out_of_time", {}).items()):
        cells = [m, report.get("out_of_time", {}).get(stage, {}).get("lightgbm")]
        text = [
            f"{c['auc']:.3f} | {c['brier']:.4f} | {c['log_loss']:.4f} | {c['ece']:.4f}"
            if c
            else "- | - | - | -"
            for c in cells
        ]
        lines.append(f"| {stage} | {m['n']} | {text[0]} | {text[1]} |")
    return "\n".join(lines)


def grade_band_tables(report: dict) -> str:
    """Each case's grade bands with the held-out rows in each and the share kept."""
    parts = []
    for case, _ in _CASES:
        bands = report.get("grade_bands", {}).get(case, [])
        rows = [
            f"**{case}**",
            "",
            "| grade | scores | held-out n | kept through stage 2 |",
            "| --- | --- | ---: | ---: |",
        ]
        upper = 100.0
        for b in bands:
            kept = "-" if b["kept_through_stage2"] is None else f"{b['kept_through_stage2']:.3f}"
            rows.append(f"| {b['grade']} | {b['min_score']:g}-{upper:g} | {b['n']} | {kept} |")
            upper = b["min_score"]
        parts.append("\n".join(rows))
    return "\n\n".join(parts)


def printed_report(report: dict) -> str:
    """What `ipx train` and `ipx evaluate` print: the headline first."""
    return "\n\n".join(
        [
            "Headline: owners the model has never seen, next to owners with history",
            headline_table(report),
            unseen_verdict(report),
            "What is served, out of time (owners with history: LightGBM; the others as above)",
            served_table(report),
            "Grade bands per case (held-out rows)",
            grade_band_tables(report),
            "Every design",
            metrics_table(report),
            verdict(report),
        ]
    )


def metrics_table(report: dict) -> str:
    """Markdown table: split, stage, approach, n, AUC, Brier, log loss, ECE."""
    lines = [
        "| validation | stage | approach | n | base rate | AUC | Brier | log loss | ECE |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, title in _ALL_SPLITS:
        for stage, result in sorted(report.get(key, {}).items()):
            for name in APPROACHES:
                m = result[name]
                lines.append(
                    f"| {title} ({result['split']}) | {stage} | {name} | {m['n']} "
                    f"| {m['base_rate']:.3f} | {m['auc']:.3f} | {m['brier']:.4f} "
                    f"| {m['log_loss']:.4f} | {m['ece']:.4f} |"
                )
    return "\n".join(lines)


def reliability_tables(report: dict, approach: str = "lightgbm") -> str:
    """Reliability tables of one approach, per validation and stage."""
    parts = []
    for key, title in _SPLITS:
        for stage, result in sorted(report.get(key, {}).items()):
            rows = [
                f"**{title}, stage {stage}** ({approach})",
                "",
                "| bin | n | mean predicted | observed |",
                "| --- | ---: | ---: | ---: |",
            ]
            for r in result[approach]["reliability"]:
                lo, hi = r["bin"]
                rows.append(
                    f"| {lo:.1f}-{hi:.1f} | {r['n']} | {r['mean_p']:.3f} | {r['observed']:.3f} |"
                )
            parts.append("\n".join(rows))
    return "\n\n".join(parts)


def verdict(report: dict) -> str:
    """The issue's acceptance question answered in one sentence per stage."""
    out = []
    for stage, beats in sorted(report.get("lightgbm_beats_logistic", {}).items()):
        word = "beats" if beats else "does NOT beat"
        out.append(
            f"Stage {stage}: LightGBM {word} logistic regression on out-of-time AUC and Brier."
        )
    return " ".join(out)


#: The issue's calibration target: expected calibration error (10 bins) at most this.
ECE_TARGET = 0.03


def ece_verdict(report: dict) -> str:
    """Out-of-time ECE of the shipped procedure per stage against the target, with the mean
    predicted and observed rates (ECE is never below their difference)."""
    out = []
    for stage, split in sorted(report.get("out_of_time", {}).items()):
        m = split["lightgbm"]
        n = sum(r["n"] for r in m["reliability"])
        mean_p = sum(r["n"] * r["mean_p"] for r in m["reliability"]) / n
        observed = sum(r["n"] * r["observed"] for r in m["reliability"]) / n
        word = "meets" if m["ece"] <= ECE_TARGET else "does NOT meet"
        out.append(
            f"Stage {stage}: out-of-time ECE {m['ece']:.4f} {word} the target (mean predicted "
            f"{mean_p:.3f}, observed {observed:.3f})."
        )
    return " ".join(out)


def render_card(meta: dict, template: str) -> str:
    """Fill the card template (placeholders in braces) from the metadata."""
    report = meta["metrics"]
    cal = meta["calibration"]
    return template.format(
        version=meta["version"],
        sha256=meta["training_data"]["sha256"],
        rows=meta["training_data"]["rows"],
        schema=meta["feature_schema_hash"],
        features=", ".join(meta["feature_names"]),
        metrics=metrics_table(report),
        headline=headline_table(report),
        unseen_verdict=unseen_verdict(report) or "No validation report: LightGBM serves everyone.",
        served=served_table(report),
        grade_bands=grade_band_tables(report),
        verdict=verdict(report),
        ece_verdict=ece_verdict(report),
        reliability=reliability_tables(report),
        calibration="; ".join(
            f"stage {k}: a={v['a']:.4f}, b={v['b']:.4f}" for k, v in sorted(cal.items())
        ),
        libraries=", ".join(f"{k} {v}" for k, v in sorted(meta["library_versions"].items())),
        seed=meta["seed"],
    )
