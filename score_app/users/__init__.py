"""Accounts as admins manage them: role, scope (countries, enterprises), access."""
