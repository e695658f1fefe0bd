"""The columns of the renewal sample's CSV (data/samples), without numpy: the registry's
outcome rows are written in the same format by code that values nothing."""

from __future__ import annotations

#: Registry feature name -> column of the sample CSV.
COUNT_COLUMNS = {
    "claims": "num_claims",
    "backward_citations": "num_patent_citations",
    "npl_citations": "num_nonpatent_citations",
    "family_size": "num_applications",
    "inventors": "num_authors",
    "similar_docs": "num_similar_doc",
}
#: Source IPC dummies. A row with all of them 0 is section A (the source dropped that dummy).
IPC_DUMMIES = ("B", "C", "D", "E", "F", "G", "H", "NA")
