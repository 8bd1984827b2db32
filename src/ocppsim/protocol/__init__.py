"""OCPP-J without I/O: JSON text in, JSON text out.

``rpc`` owns the framing rules; ``v16`` (and later ``v201``/``v21``) translate between the
neutral charger core and each version's payloads; ``session`` binds them for one charger.
"""
