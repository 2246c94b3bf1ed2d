"""The benchmarks' PostgreSQL databases, created on the local server when a machine lacks them."""

import sqlalchemy as sa


def create_if_missing(url: str) -> str:
    """Create the database named in `url` unless the server has it; returns the server's version.
    Raises sqlalchemy.exc.OperationalError when no server answers there."""
    target = sa.make_url(url)
    server = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            name = target.database
            if not connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ):
                connection.execute(
                    sa.text(f"CREATE DATABASE {server.dialect.identifier_preparer.quote(name)}")
                )
            return connection.scalar(sa.text("SHOW server_version"))
    finally:
        server.dispose()
