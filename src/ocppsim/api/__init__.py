"""The REST API: thin routes over the services. ``create_app`` builds it."""

from ocppsim.api.app import create_app

__all__ = ["create_app"]
