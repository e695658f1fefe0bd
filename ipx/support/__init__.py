"""Support programmes: interest and fee subsidies and risk compensation for IP pledge loans."""
