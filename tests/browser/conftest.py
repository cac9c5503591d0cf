"""The browser fixtures are shared by every test folder: see tests/browser_fixtures.py."""

from tests.browser_fixtures import ARTIFACTS, CHROMIUM_FLAGS

# Plain names (not fixtures) for test modules that still import them from here: pytest then finds
# the one shared fixture of each name, registered by tests/browser_fixtures.py.
artifacts = browser = live_server = page = None

__all__ = ["ARTIFACTS", "CHROMIUM_FLAGS"]
