"""Tests compute with one BLAS thread, as the app's server does: the matrices are
small, and on a 2-core machine threads only fight over the cores."""
import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def _one_blas_thread():
    with threadpool_limits(1):
        yield
