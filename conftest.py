"""Test-wide set-up: no network, offline track, a throw-away cache, quiet TensorFlow.

The environment variables are inherited by the notebook kernels nbval starts, so
``utils`` installs the same network guard inside every notebook run by the tests.
"""

import os
import tempfile

os.environ["TL_FORBID_NETWORK"] = "1"
os.environ.setdefault("TL_TRACK", "offline")
os.environ.setdefault("TL_CACHE_DIR", tempfile.mkdtemp(prefix="tl-test-cache-"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
# notebooks executed by nbval write their results here, not into the committed results/
os.environ.setdefault("TL_RESULTS_DIR", os.path.join(os.environ["TL_CACHE_DIR"], "results"))
# keep Keras from writing into ~/.keras during tests
os.environ.setdefault("KERAS_HOME", os.path.join(os.environ["TL_CACHE_DIR"], "keras"))

from threadpoolctl import threadpool_limits  # noqa: E402

from utils.course.netguard import forbid_network  # noqa: E402

forbid_network()
# one BLAS thread, as the notebooks run (utils.course.speed): several threads made small scikit-learn fits
# many times slower on the 2-core test machine
threadpool_limits(limits=1, user_api="blas")

# time and memory of every notebook nbval runs, checked against the course budgets
pytest_plugins = ["utils.course.nbbudget", "pytester"]


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _float32_after_each_test():
    """A test that turns mixed precision on (select_track with gpu=True does) must not leak it."""
    yield
    from utils.course.speed import reset_speed

    reset_speed()
