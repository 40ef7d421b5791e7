"""The demo of every role: its data (seed.py, program.py), its people (people.py) and /dev,
where each is a click away (views.py, development only)."""
