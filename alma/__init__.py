"""Alma: a network of licensed therapists. The app is made by alma.factory.create_app;
docs/ARCHITECTURE.md maps the packages."""
