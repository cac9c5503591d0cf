"""The browser fixtures are shared by every test folder: see tests/browser_fixtures.py."""
