"""The catalogue of what the programme teaches and measures: the modules/ folder loaded,
validated and rendered, and the indicators (indicators.py) the modules and the figures refer to."""
