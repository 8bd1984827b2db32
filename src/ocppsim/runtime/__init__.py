"""The asyncio runtime: the only layer that awaits or owns timers.

A ``Runner`` keeps one charger's session connected; the ``Fleet`` owns every running charger.
"""
