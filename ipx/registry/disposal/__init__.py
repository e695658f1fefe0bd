"""Disposal on default: the default, the disposal and its bids, the sale and the
distribution of the proceeds, and the transaction records."""
