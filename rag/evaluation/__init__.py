"""Retrieval and answer evaluation: golden question sets, metrics, named configurations, runs and reports."""
