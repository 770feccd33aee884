import os

from hypothesis import settings

pytest_plugins = ["tests.standin.pytest_plugin"]

# CI runs the property tests on a fixed set of examples, so a red build always means a
# change broke something, not that a new random example turned up; locally they explore.
settings.register_profile("ci", derandomize=True, database=None, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
