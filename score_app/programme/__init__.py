"""Programme results: aggregates across enterprises, exports and imports, synthesis report."""
