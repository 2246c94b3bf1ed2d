"""Indicators: definitions, formulas, measurements and their audit trail."""
