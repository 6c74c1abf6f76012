"""Maintenance commands above the store: ``doctor`` (it counts what classify has left) and
``forget`` (it refreshes the trends); the store itself never imports classify or trends."""
