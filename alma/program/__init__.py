"""The insurance program: a member enrols, the team credentials them with each program
payer, they move their clients in, and may opt out. Builds on benefits (its clients'
checks) and the directory (who is shown in network); claims build on it."""
