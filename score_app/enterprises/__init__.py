"""Enterprises, their members and data-sharing consent."""
