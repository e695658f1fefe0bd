"""The words of the valuation report, in Simplified Chinese (the default) and English.

Kept apart from the layout (``report_pdf``) so a reader checks a translation in one place.
Labels are keyed by what they name; ``words(lang)`` gives the catalogue of one language.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("zh", "en")

_EN: dict[str, str] = {
    "title": "IP valuation report",
    "valuation": "Valuation",
    "created_at": "Valued at",
    "as_of": "As of",
    "asset": "The asset",
    "no_asset": "Not a registered asset: the patent was described in the request itself.",
    "kind": "Kind",
    "number": "Number",
    "asset_title": "Title",
    "holders": "Holders",
    "status": "Legal status",
    "filing_date": "Filing date",
    "grant_date": "Grant date",
    "expiry_date": "Expiry date",
    "fees_paid_until": "Fees paid until",
    "ipc": "IPC",
    "pledges": "Pledge registrations",
    "not_pledged": "None: the asset is not under a registered pledge.",
    "inputs": "Inputs and their sources",
    "input": "Input",
    "value": "Value",
    "source": "Source",
    "src_registry": "the registry's record",
    "src_request": "the request",
    "src_imputed": "imputed (training median)",
    "src_default": "the service's default",
    "src_royalty_assumed": "assumed for the IPC section (licensing-survey mid-point)",
    "loan_term_months": "Loan term (months)",
    "owner_history": "Owner's renewal history",
    "owner_used": "used (the owner is in the reference data)",
    "owner_priors": "population priors (owner not in the reference data)",
    "score": "Score and grade",
    "score_label": "Score (0-100, percentile in the reference cohort)",
    "grade": "Grade",
    "case_grades": "Grades this case can give",
    "p_maturity": "Probability in force at the loan's maturity",
    "unscored": "Not scored",
    "survival": "Survival curve",
    "survival_alt": "Probability the patent is kept in force, by years after grant",
    "stage": "Stage",
    "years_after_grant": "Years after grant",
    "p_in_force": "P(in force)",
    "range": "Value range (income approach, relief from royalty)",
    "no_value": "No money value: no economic inputs were given.",
    "annual_revenue": "Annual revenue",
    "royalty_rate": "Royalty rate",
    "discount_rate": "Discount rate",
    "tax_rate": "Tax rate",
    "growth": "Growth",
    "remaining_term": "Remaining term",
    "days": "days",
    "years": "years",
    "uncertainty": "Monte Carlo",
    "collateral": "Collateral",
    "ltv_cap": "Loan-to-value cap",
    "collateral_value": "Collateral value (p10 x cap)",
    "max_loan": "Largest loan supported",
    "drivers": "Drivers (SHAP contributions)",
    "no_drivers": "Not requested (explain: false).",
    "feature": "Feature",
    "contribution": "Contribution",
    "flags": "Flags",
    "no_flags": "None.",
    "validity": "How far to trust it (validity)",
    "case": "Case",
    "design": "Validation design",
    "approach": "Approach",
    "model": "Model",
    "model_version": "Model version",
    "schema_hash": "Feature schema hash",
    "training_data": "Training data",
    "card": "Model card",
    "card_other": "This valuation's model is not the one serving now; its card is models/{v}.",
    "ledger": "Ledger anchor",
    "entry": "Log entry",
    "leaf_hash": "Leaf hash",
    "result_digest": "Result digest (SHA-256)",
    "checkpoint": "Signed checkpoint",
    "tree_size": "Tree size",
    "root_hash": "Root hash",
    "signed_at": "Signed at",
    "verify": "Verify: GET /api/v1/ledger/entries/{i}/receipt gives the inclusion proof in this "
    "checkpoint, checkable offline with the log's public key.",
    "no_entry": "No log entry found for this valuation.",
    "limits": "Limits of the model",
    "page": "page",
}

_LIMITS_EN = (
    "Trained on US university patents granted 2004-2007 and their USPTO maintenance fees; "
    "applied to Chinese patents by mapping CNIPA annual-fee years to the three US stages.",
    "The score is a renewal-based value proxy (how likely the owner keeps paying), not a price "
    "and not a forecast of a sale.",
    "Discrimination is modest, and weak for owners absent from the reference data (every "
    "Chinese owner today); the validity section gives the held-out figures of this case.",
    "Money values come only from the income approach with the requester's economic inputs; "
    "they are as good as those inputs.",
)

_ZH: dict[str, str] = {
    "title": "知识产权估值报告",
    "valuation": "估值编号",
    "created_at": "估值时间",
    "as_of": "估值基准日",
    "asset": "估值对象",
    "no_asset": "非登记资产：专利信息由请求直接提供。",
    "kind": "类型",
    "number": "号码",
    "asset_title": "名称",
    "holders": "权利人",
    "status": "法律状态",
    "filing_date": "申请日",
    "grant_date": "授权日",
    "expiry_date": "届满日",
    "fees_paid_until": "年费缴至",
    "ipc": "IPC 分类",
    "pledges": "质押登记",
    "not_pledged": "无：该资产没有已登记的质押。",
    "inputs": "输入及其来源",
    "input": "输入",
    "value": "取值",
    "source": "来源",
    "src_registry": "登记簿记录",
    "src_request": "请求",
    "src_imputed": "插补（训练集中位数）",
    "src_default": "服务默认值",
    "src_royalty_assumed": "按 IPC 部假设（许可调查区间中点）",
    "loan_term_months": "贷款期限（月）",
    "owner_history": "权利人续费历史",
    "owner_used": "已使用（权利人在参考数据中）",
    "owner_priors": "总体先验（权利人不在参考数据中）",
    "score": "评分与等级",
    "score_label": "评分（0-100，参考群体中的百分位）",
    "grade": "等级",
    "case_grades": "本情形可给出的等级",
    "p_maturity": "贷款到期时仍有效的概率",
    "unscored": "未评分",
    "survival": "存续曲线",
    "survival_alt": "专利维持有效的概率，按授权后年数",
    "stage": "阶段",
    "years_after_grant": "授权后年数",
    "p_in_force": "有效概率",
    "range": "价值区间（收益法，许可费节省法）",
    "no_value": "无货币价值：请求未提供经济参数。",
    "annual_revenue": "年收入",
    "royalty_rate": "许可费率",
    "discount_rate": "折现率",
    "tax_rate": "税率",
    "growth": "增长率",
    "remaining_term": "剩余期限",
    "days": "天",
    "years": "年",
    "uncertainty": "蒙特卡洛模拟",
    "collateral": "抵质押",
    "ltv_cap": "质押率上限",
    "collateral_value": "担保价值（p10 × 上限）",
    "max_loan": "可支持的最高贷款",
    "drivers": "驱动因素（SHAP 贡献）",
    "no_drivers": "未请求（explain: false）。",
    "feature": "特征",
    "contribution": "贡献",
    "flags": "提示",
    "no_flags": "无。",
    "validity": "可信程度（validity）",
    "case": "情形",
    "design": "验证设计",
    "approach": "方法",
    "model": "模型",
    "model_version": "模型版本",
    "schema_hash": "特征结构哈希",
    "training_data": "训练数据",
    "card": "模型卡",
    "card_other": "本估值所用模型不是当前服务的模型；其模型卡见 models/{v}。",
    "ledger": "账本锚定",
    "entry": "日志条目",
    "leaf_hash": "叶哈希",
    "result_digest": "结果摘要（SHA-256）",
    "checkpoint": "签名检查点",
    "tree_size": "树大小",
    "root_hash": "根哈希",
    "signed_at": "签名时间",
    "verify": "核验：GET /api/v1/ledger/entries/{i}/receipt 给出该条目在此检查点中的包含证明，"
    "可用日志公钥离线核验。",
    "no_entry": "未找到本估值的日志条目。",
    "limits": "模型的局限",
    "page": "页",
}

_LIMITS_ZH = (
    "模型以 2004-2007 年授权的美国大学专利及其 USPTO 维持费缴纳情况训练；"
    "通过把国家知识产权局年费年度映射到美国的三个阶段应用于中国专利。",
    "评分是基于续费的价值代理指标（权利人继续缴费的可能性），不是价格，也不是成交预测。",
    "区分能力有限；对参考数据中没有的权利人（目前所有中国权利人）更弱，"
    "可信程度一节给出本情形的样本外指标。",
    "货币价值仅来自收益法，依赖请求方提供的经济参数，其可靠性取决于这些参数。",
)

KIND_NAMES = {
    "zh": {
        "invention": "发明专利",
        "utility_model": "实用新型",
        "design": "外观设计",
        "trademark": "商标",
        "copyright": "著作权",
    },
    "en": {
        "invention": "invention patent",
        "utility_model": "utility model",
        "design": "design patent",
        "trademark": "trademark",
        "copyright": "copyright",
    },
}

#: Legal statuses of assets and statuses of pledges, in words (the record's code otherwise).
STATUS_NAMES = {
    "zh": {
        "pending": "审查中",
        "granted": "已授权",
        "lapsed": "已失效",
        "invalidated": "已宣告无效",
        "registered": "已登记",
        "defaulted": "已违约",
        "in_disposal": "处置中",
        "realized": "已实现",
        "cancelled": "已注销",
        "revoked": "已撤销",
    },
    "en": {"in_disposal": "in disposal"},
}

_CATALOGUES = {"zh": (_ZH, _LIMITS_ZH), "en": (_EN, _LIMITS_EN)}


def words(lang: str) -> Mapping[str, str]:
    """The labels of ``lang`` (``zh`` or ``en``)."""
    return _CATALOGUES[lang][0]


def limits(lang: str) -> tuple[str, ...]:
    """The model's limits in plain words, in ``lang``."""
    return _CATALOGUES[lang][1]
