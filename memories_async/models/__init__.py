"""Typed models of the vendor's answers, one module per area."""
