"""Benefit checks and what they mean in money: asking a client's insurer through a
clearinghouse (or the local sandbox), reading the answer, and a client's cost per session
at the group's rates. Below the program and claims, which use it; it knows neither."""
