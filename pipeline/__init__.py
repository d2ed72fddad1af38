"""screening: free prenatal screening (两筛) progress reporting for a sub-district office."""

__version__ = "0.1.0"
