"""The charger itself: pure state machine, EV physics and identifiers.

Standard library only; no I/O, no clock, no global randomness.
"""
