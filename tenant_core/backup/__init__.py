"""Backups of one city (its schema and its rows of the shared schema) and their restore."""
