"""Enterprise improvement plans: actions tied to indicators, evidence photos, before/after."""
