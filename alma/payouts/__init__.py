"""Provider payouts: what the group pays each provider for their sessions, twice a month."""
