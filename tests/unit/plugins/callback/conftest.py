"""The evidence callback's fixture for these tests (tests/helpers/evidence_callback.py)."""

from helpers.evidence_callback import make_callback  # noqa: F401 - a fixture: pytest finds it here
