pytest_plugins = ["wardeye.testing.pytest_plugin"]
