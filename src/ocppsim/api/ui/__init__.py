"""The web UI: server-rendered page shells, static scripts and styles, no build step."""
