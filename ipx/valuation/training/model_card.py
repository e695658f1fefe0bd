"""MODEL_CARD.md and the printed validation report, both rendered from metadata.json."""

from __future__ import annotations

from ipx.valuation.training.evaluation import APPROACHES

_SPLITS = (("out_of_time", "Out of time"), ("grouped_by_owner", "Grouped by owner"))


def metrics_table(report: dict) -> str:
    """Markdown table: split, stage, approach, n, AUC, Brier, log loss, ECE."""
    lines = [
        "| validation | stage | approach | n | base rate | AUC | Brier | log loss | ECE |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, title in _SPLITS:
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
        verdict=verdict(report),
        ece_verdict=ece_verdict(report),
        reliability=reliability_tables(report),
        calibration="; ".join(
            f"stage {k}: a={v['a']:.4f}, b={v['b']:.4f}" for k, v in sorted(cal.items())
        ),
        libraries=", ".join(f"{k} {v}" for k, v in sorted(meta["library_versions"].items())),
        seed=meta["seed"],
    )
