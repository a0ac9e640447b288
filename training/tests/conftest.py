import os

import pytest
import torch

torch.set_num_threads(2)
SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data")


@pytest.fixture
def shared_data():
    if not os.path.isdir(SHARED):
        pytest.skip(f"development data not found at {os.path.abspath(SHARED)} (../shared/data beside the repo)")
    return os.path.abspath(SHARED)
