"""medgraph: who is accountable for a patient's bill, and where the safety net leaks."""

__version__ = "0.1.0"
