"""Endpoint groups: each method describes one endpoint and leaves the work to the pipeline."""
