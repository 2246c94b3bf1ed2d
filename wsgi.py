"""The production entry point: gunicorn 'wsgi:app'."""

from score_app import create_app

app = create_app()
