"""Use cases shared by the REST API, the web UI and the CLI.

They take the acting user first and return plain dataclasses; no HTTP in here.
"""
