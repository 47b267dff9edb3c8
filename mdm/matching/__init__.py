"""Fuzzy matching: blocking keys, comparators, Fellegi-Sunter scoring."""
