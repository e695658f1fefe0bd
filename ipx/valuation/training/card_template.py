"""Text of MODEL_CARD.md; `model_card.render_card` fills the braces from metadata.json."""

CARD_TEMPLATE = """# IPX patent renewal model {version}

## What it is
A discrete-time survival model of patent renewal: three LightGBM binary classifiers, one per
USPTO maintenance-fee stage (3.5, 7.5 and 11.5 years after grant), each conditional on the patent
having been kept through the previous stage, each calibrated with Platt scaling fitted on
out-of-fold margins. The cumulative products are the probabilities that the owner keeps the patent
in force through each stage. For owners absent from the reference data, a stage may instead be
served by an L2 logistic regression where it validated better for them (see the headline).
Renewal is a revealed-preference proxy of a patent's *private value*
to its owner (an owner pays only while the patent is worth more than the fee).

**It is a renewal-based value proxy, not a price.** The score ranks a patent against the
reference cohort; money values come only from the separate income approach (relief from royalty)
with economic inputs the caller supplies, weighted by this model's survival curve.

## Data
`data/samples/us-university-renewals.csv`: {rows} US utility patents granted 2004-2007 to US
universities (SHA-256 `{sha256}`), from github.com/JY2014/PatentEvaluation (2017). Stage 1 and 2
outcomes are observed for every row. Stage 3 is censored for 2006-2007 grants and, contrary to the
source's `label_paid_all3_observable` flag, for grants after 2005-05-31 (their 11.5-year fee was
falling due when the data was gathered: the paid share drops from ~0.58 to 0.00-0.06 from
September 2005). Censored rows are excluded from stage 3, never counted as lapses.

## Features (schema hash `{schema}`)
{features}.
Counts are the registry's asset features; `grant_lag_days` = grant date - filing date; the IPC
section is one-hot (sample rows without a section dummy are section A, which the source dropped);
the owner's renewal history is a smoothed keep rate at stages 1 and 2 plus the number of the
owner's patents in the reference data, computed out of fold in training (a row never sees its own
label) and from the whole reference data in serving. An owner absent from the reference data
(every Chinese owner today) gets the population priors and a count of 0. Missing inputs are
imputed with training medians (IPC: the most common section) and flagged.

## The headline: owners the model has never seen
Most valuations the exchange is asked for are of patents whose owner is absent from the
reference data (every Chinese owner today): the owner's renewal history, the model's strongest
input, is replaced by the population priors. Those valuations are judged by *unseen owners*:
GroupKFold(5) on the normalised assignee and, within each fold, out of time (stages 1-2 trained
on the other owners' 2004-2006 grants and tested on the held-out owners' 2007 grants; stage 3 on
2004 -> January-May 2005). Next to them, *with history*: the out-of-time test rows whose owner
has patents in the training years. Every figure is on rows the evaluated model never saw; the
three approaches are fitted in the same run on the same rows.

{headline}

{unseen_verdict}

For each stage, whichever of LightGBM and the logistic regression validates better for unseen
owners (LightGBM only if it wins on both AUC and Brier) is what serves them; owners with history
are always served by LightGBM. The logistic regression is stored as plain JSON
(`logistic_unseen_owner_stage<k>.json`: standardisation, coefficients, intercept), never pickled.
Its drivers are exact log-odds contributions too (coefficient times the standardised input).
What is served, out of time, over every 2007 test row (owners with and without history),
next to LightGBM for everyone (the earlier model's procedure; the 2007 rows whose owner had no
earlier patents are those served differently):

{served}

The rule is applied as written, per stage, on the headline design. Where it turns on a
difference smaller than the noise (an AUC a few ten-thousandths apart while LightGBM has the
better Brier score), the table above shows what it costs on the out-of-time rows;
`ipx train --unseen-owner-model lightgbm` ships LightGBM for everyone instead.

Every valuation carries `validity`: its case (`owner-history`, `unseen-owner`,
`kind-extrapolated` for utility models, `not-modelled`), whether owner history was used, the
inputs imputed, and that case's figures above per stage (approach, design, n, AUC, Brier, ECE).
A utility model gets no figures (none were measured for that kind). Imputed inputs are named:
the figures were measured with every input known.

### Grade bands per case
A grade must not claim more separation than its case supports. Each case starts from the nine
standard bands on the score and the case's held-out rows placed on the serving score scale (the
percentile of their value index among the fold's training rows, scored as serving scores its
reference cohort). While two neighbouring bands do not differ in what their rows did next (the
share kept in force through stage 2, observed for every row) by at least 1.96 standard errors,
the least separated pair is merged; a merged band takes the name of its member nearest the
middle of the scale (BBB, then BB), so merging only pulls grades toward the middle. A utility
model gets the coarsest validated set. Without a validation report every score is BBB.

{grade_bands}

## Validation
Every figure is on rows the evaluated model never saw. *Out of time*: stages 1-2 trained on
2004-2006 grants and tested on 2007 grants; stage 3 (observable only for 2004 to May 2005)
trained on 2004 and tested on January-May 2005; its test rows are also shown split by whether
the owner has patents in the training years. *Grouped by owner, all years*: GroupKFold(5) on the
normalised assignee, so every test owner is new to its model (and carries no history). Each run
fits, on the same rows and features: the shipped LightGBM procedure, an L2 logistic regression
(log1p counts, standardised) and a claims-and-citations heuristic (sum of log1p claims, backward
and NPL citations, Platt-mapped on the training rows). ECE uses 10 equal-width bins. Stage 2 and
3 metrics are conditional on reaching the stage.

{metrics}

{verdict}

Calibration (Platt on out-of-fold margins): {calibration}.

{reliability}

### Calibration target (ECE at most 0.03)
{ece_verdict}

Stage 3 misses the target and no honest change found reaches it, so the model is unchanged.
Candidates were compared on owner-grouped folds of the 2004 training year only, never on the 2005
test rows (`python bench/valuation_stage3.py`, 1,649 rows): 50, 100 and 200 rounds; Platt against
isotonic calibration; monotone constraints on the owner keep rates; 2-leaf trees; and the logistic
regression. The LightGBM variants had fold ECEs of 0.016-0.024 and Brier and log loss within
noise of each other (0.2391-0.2404, 0.671-0.674); the logistic regression had the best fold AUC,
Brier and log loss (0.576, 0.2384, 0.6704) and the worst fold ECE (0.030). The out-of-time miss
is a drift between grant years: January-May 2005 grants kept their third fee less often than the
2004 grants the model learned from (observed 0.564 against 0.594), so a model calibrated on 2004
over-predicts 2005 on average, and ECE can never be smaller than that average error (the mean
predicted and observed rates above). Calibration fitted on the training years cannot see this;
tuning it to the 2005 rows would hide the drift, not fix it. Read stage-3 probabilities as a few
points optimistic for later grant years. Logistic regression is better than LightGBM at stage 3
on proper scores (out of time and on grouped folds) but misses the ECE target too (0.035 out of
time), so for owners with history stage 3 stays LightGBM; switching it would change every
valuation for a Brier gain of about 0.002. For unseen owners the headline's rule decides.

Hyper-parameters were chosen on owner-grouped folds of 2004-2006 grants only (never the 2007
test year): very small trees (4 leaves), strong L2, 100-250 rounds. Ten settings differed by
less than 0.005 AUC, so the simplest was kept: the signal is modest and the model must
generalise to an independent sample.

## Serving
- `survival`: cumulative probabilities of being in force through stages 1-3 (from grant).
- value index = sum of the three cumulative probabilities (expected number of fee stages kept);
  `score` = its percentile (0-100) in the reference cohort (training patents scored by this model);
  `grade` bands on the score: the full scale is AAA >= 90, AA >= 80, A >= 65, BBB >= 50,
  BB >= 35, B >= 20, CCC >= 10, CC >= 5, C below 5, and each case uses the merged bands drawn
  above (`validity.grades` lists them).
- `p_in_force_at_maturity`: survival curve S(t), t in years since grant, with knots
  S(3.5)=stage 1, S(7.5)=stage 2, S(11.5)=stage 3 and a constant lapse hazard inside each
  interval; conditional on being in force at `as_of`, P = S(maturity)/S(as_of); 0 if the
  statutory term ends before maturity or the asset is lapsed/invalidated. Beyond 11.5 years the
  stage-3 hazard is continued and the result is flagged `survival-extrapolated`.
- `drivers`: LightGBM `pred_contrib` (TreeSHAP) per stage, multiplied by the Platt slope so they
  are exact contributions to each stage's *calibrated log-odds*; ranked by their sum over stages.

## The Chinese annual-fee system
CNIPA charges an annual fee every year from grant, while the USPTO charges three maintenance
fees. CNIPA numbers the fee years from the FILING date: fee year k (k = 1, 2, ...) is the k-th
year of the term counted from filing (k - 1 to k years after it), its fee paid ahead, by its
start. The first fee is paid at grant, for the fee year the grant falls in; the years before
grant carry none. The table ends with the term at expiry: 20 years from filing for an invention
(fee year 20), 10 for a utility model, 15 for a design filed from 2021-06-01 (10 before).

The US stages fall 3.5, 7.5 and 11.5 years after grant: with a grant lag of L years, L + 3.5,
L + 7.5 and L + 11.5 years after filing. A stage is read as paid when the fee year its day falls
in is paid. Example: an invention filed 2015-03-01 and granted 2018-06-01 (L = 3.25, first fee
for fee year 4):

| US stage | after grant | after filing | Chinese fee years it covers | kept once paid |
| ---: | ---: | ---: | --- | --- |
| 1 | 3.5 | 6.75 | fee years 4-7 | fee year 7 |
| 2 | 7.5 | 10.75 | fee years 8-11 | fee year 11 |
| 3 | 11.5 | 14.75 | fee years 12-15 | fee year 15 |
| - | beyond 11.5 | beyond 14.75 | fee years 16-20 (expiry) | `survival-extrapolated` |

A stage whose day falls after expiry is never reached (a utility model granted a year after
filing expires before stage 3). The registry's own outcomes (`ipx outcomes export`) count a
stage as paid on the same days. The probability that fee year k is paid is read as
S(k - 0.5 - lag), the curve in the middle of that year in years since grant (the fee of the
year of grant is paid at grant: 1); in a stage's own fee year the middle lies within half a
year of the stage day, and in between the constant lapse hazard of the stage covering the year
spreads each stage's lapse risk evenly over its fee years.

`p_in_force_at_maturity` for a loan maturing between two stages: log S is linear in time between
the knots (0, 1), (3.5, stage 1), (7.5, stage 2), (11.5, stage 3), i.e. for a < t <= b,
S(t) = S(a) x (S(b) / S(a)) ^ ((t - a) / (b - a)), and P = S(maturity) / S(as_of). Example:
stages 0.9, 0.6 and 0.4, valued 2 years after grant for a 42-month loan (maturity 5.5 years):
S(2) = 0.9 ^ (2 / 3.5) = 0.9416, S(5.5) = 0.9 x (0.6 / 0.9) ^ (2 / 4) = 0.7348, P = 0.7804.

Chinese fees rise steeply with age, so this mapping probably *overstates* late survival of
Chinese patents; treat late-stage figures as optimistic.

## Limits
- US university patents granted 2004-2007 only: owners, fee levels and legal system differ
  from Chinese corporate patents. Inputs outside the training ranges are flagged.
- Modest discrimination (AUC roughly 0.55-0.69, see above): good for ranking portfolios and for
  calibrated probabilities, not for confident statements about a single patent.
- Trained on inventions (utility patents). Utility models get the same model with a flag;
  designs, trademarks and copyrights are outside the model (no score or survival), and their
  money value, if economics are given, is the unweighted relief-from-royalty range.
- Stage 3 is the least reliable stage: fewest rows (2004 to May 2005 grants), weakest
  discrimination, and out-of-time ECE above the 0.03 target (see Validation).
- Owner history helps only for owners in the reference data; new owners get priors, and their
  figures (the headline above) are much weaker: read their `validity` before their score.
- Not a price: realised disposal prices recorded by the registry are the data against which
  valuations must be back-tested before this model is relied on.

## Reproducibility
`ipx train --seed {seed}` on the same CSV gives byte-identical model files (LightGBM
`deterministic`, `force_row_wise`, fixed threads and seeds). Libraries: {libraries}.
LightGBM text models and JSON (metadata, the logistic regressions) only; no pickles.
"""
