"""Prefect flows: thin wrappers that run the ``sentiment`` steps as tasks."""
