"""Printed documents: the improvement plan, the programme's synthesis report, a workshop day's
sign-in sheet, certificates and module handouts, made as HTML and PDF for a given user, record and
language, with the access checks of the pages, in a request or outside one (the CLI, a job)."""
