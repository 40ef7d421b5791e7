"""The public directory: search, profiles, and keeping listings honest."""
