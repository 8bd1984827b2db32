"""The mass-charger load-test engine.

Mass chargers run through the same charger core, OCPP session and runner as persistent ones
(no second OCPP implementation), without the per-frame message log. ``plan`` says what a run
is, ``stats`` how it is counted, ``engine`` runs one shard of a run in one process, ``worker``
is that process, ``pool`` starts the workers and merges what they report, and ``preflight``
checks that a run can fit before it starts.
"""
