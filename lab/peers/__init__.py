"""Third-party peers the tests run against, each in its own environment (not the project's simulators)."""
