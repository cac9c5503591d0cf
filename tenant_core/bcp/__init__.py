"""The emergency counter (緊急窓口): a city's snapshot served read-only when the data centre is gone.

- ``package``: ``kyodo bcp snapshot`` builds one encrypted file holding the city on SQLite.
- ``serve``: ``kyodo bcp serve`` runs the same application from it in emergency mode.
- ``merge``: ``kyodo bcp merge`` brings what was issued there back into the main register.
"""
