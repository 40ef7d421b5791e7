"""Insurance claims: X12 837P writing and validation."""
