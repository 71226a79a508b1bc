"""The compiled gravity the filters use (``core.gravity.acceleration_compiled`` and ``gradient``) against the
numpy reference (``core.gravity.acceleration``, which the oracle's right-hand side uses): the acceleration to
rounding, the gradient against central differences of the reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bmdsim.core.gravity import acceleration, acceleration_compiled, gradient

_R = st.tuples(*[st.floats(-4.2e7, 4.2e7) for _ in range(3)]).filter(lambda p: np.linalg.norm(p) > 6.3e6)


@settings(max_examples=60, deadline=None)
@given(_R, st.booleans())
def test_compiled_acceleration_equals_the_reference(p, j2):
    r = np.array(p)
    ref = acceleration(r, j2=j2)
    assert np.max(np.abs(acceleration_compiled(r, j2=j2) - ref)) <= 1e-14 * np.linalg.norm(ref)


@pytest.mark.parametrize("shape", [(3,), (1, 3), (4, 3), (2, 5, 3), (0, 3)])
def test_shapes_broadcast_as_the_reference(shape):
    r = np.random.default_rng(0).normal(size=shape) * 7e6
    assert acceleration_compiled(r).shape == acceleration(r).shape
    assert gradient(r).shape == shape + (3,)


@settings(max_examples=40, deadline=None)
@given(_R, st.booleans())
def test_gradient_matches_central_differences(p, j2):
    """Central differences with a 1 m step: rounding of the ~10 m/s^2 accelerations leaves about 1e-15 1/s^2 of
    error against a gradient of ~3e-6 1/s^2 at the surface (3e-10 relative), well inside the 1e-7 tolerance."""
    r = np.array(p)
    h = 1.0
    fd = np.stack([(acceleration(r + h * e, j2=j2) - acceleration(r - h * e, j2=j2)) / (2 * h) for e in np.eye(3)],
                  axis=-1)
    g = gradient(r, j2=j2)
    assert np.max(np.abs(g - fd)) <= 1e-7 * np.max(np.abs(fd))
    np.testing.assert_allclose(g, np.swapaxes(g, -1, -2), rtol=0, atol=1e-12 * np.max(np.abs(g)))  # a potential
