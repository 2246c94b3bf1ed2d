"""Background jobs: long work (imports, large PDFs) run by a worker, followed on a page."""
