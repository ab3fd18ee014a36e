"""Synthetic glyphs and benchmark sheets with known answers, and their scoring.

Never imported by the reading path."""
