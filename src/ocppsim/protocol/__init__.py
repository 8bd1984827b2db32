"""OCPP-J without I/O: JSON text in, JSON text out.

``rpc`` owns the framing rules; every version's adapter (``v16``, ``v201``, ``v21``) fulfils
the contract of ``adapter`` and translates between the neutral charger core and its version's
payloads, with its handlers in one module per functional block; ``versions`` picks the adapter;
``session`` binds adapter and RPC for one charger. ``values`` holds the value rules of 1.6 keys
and 2.x variables, ``metering`` the SampledValue entries, ``common`` the ``Payload`` alias.
"""
