"""Offline work on the valuation model: fitting, validation, the model card, writing artifacts,
and the ``ipx train`` / ``ipx evaluate`` commands.

Serving never imports this package (nor scikit-learn): it loads what training wrote, through
`ipx.valuation.artifact` and the model classes of `ipx.valuation.stages`.
"""
