"""The registry context: parties, assets, applications, pledges, transfers, freezes, disposal."""
