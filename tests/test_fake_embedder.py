"""tests/fake_embedder.py, the unit tests' stand-in model: deterministic, unit-length, closer for shared words."""

import numpy as np

from tests.fake_embedder import DIM, FakeEmbedder


def test_the_fake_model_is_deterministic_unit_length_and_closer_for_shared_words():
    fake = FakeEmbedder()
    v = fake.embed(["How many GPUs does DeepSeek have?", "DeepSeek has about 50,000 GPUs.",
                    "We bake sourdough bread every morning.", "", "How many GPUs does DeepSeek have?"])
    assert v.shape == (5, DIM) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0) and np.array_equal(v[0], v[4])
    assert v[0] @ v[1] > 0.4 > abs(v[0] @ v[2])
    assert round(float(v[0] @ v[1]), 4) == 0.6124  # the same in every process and run (no salted hash())
