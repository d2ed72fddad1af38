"""Hostile inputs: generated files that try to crash, hang, exhaust or trick the pipeline."""
