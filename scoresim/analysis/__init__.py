"""Statistics and comparisons over finished runs: one implementation for every face."""
