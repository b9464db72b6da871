"""Accounts: register, log in, passwords, the second factor."""
