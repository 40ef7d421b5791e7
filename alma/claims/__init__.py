"""Claims: the sessions a provider logs for their program clients, the claim at the group's
rate with its 837P, and the client's share invoiced. Builds on the program (its clients,
its rules) and benefits (the check a session is billed under, the group's rates)."""
