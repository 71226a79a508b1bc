"""Irkutsk -> Washington (icbm-solid-russia) against Redzikowo: no variant engages though the ideal bound is
8.1 km/s (issue 10, left from session 2). The cause, in numbers, and that the "no" holds when flown.

The flight passes the site at 3,600 km (closest about 840 s after launch, north of it, 1,240 km up) and then
recedes to the north-west. The only radar of the site's sensor set that tracks it is Thule, at about 1,078 s;
with 60 s of fire control and reaction the interceptor may leave at about 1,138 s. From then on every intercept
is a tail chase 3,900-6,650 km away. The impulsive (Lambert) bound, 8,124 m/s, has the whole speed at lift-off;
with the impulse after the interceptor's 120 s burn it needs more than 9 km/s (9,155 m/s), above every catalog
variant, and a flown 9.0 km/s interceptor's latest launch that still reaches the threat is about 100 s before
the commit (the table and the direct engine search agree). Given a commit 200 s earlier, 9 km/s does engage.

One test (about 40 s under load: two sized fans, the fastest catalog variant's fan and one direct search), kept
because it is the issue's own end-to-end case; it fails if the commit, the bounds or the verdict move.
"""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.analysis.chase import chase
from bmdsim.analysis.engage import fan_at
from bmdsim.engagement.verify import direct_search
from bmdsim.flight import catalog, sites


@pytest.fixture(scope="module")
def irkutsk():
    return chase(sites.resolve("x", "irkutsk"), sites.resolve("x", "washington"), "icbm-solid-russia",
                 interceptor="gbi2-9.0", speed_grid_mps=(9000.0, 12000.0))


def test_irkutsk_is_a_late_commit_tail_chase_not_a_search_defect(irkutsk):
    r = irkutsk
    assert not r.engageable and r.min_burnout_speed_mps is None and r.engaging_speed_intervals_mps == []
    # the commit: Thule's track plus 60 s (the site's fire control and reaction), late in the midcourse
    assert r.tracking_sensor == "thule" and 1050.0 < r.earliest_launch_after_launch_s < 1250.0
    # the bounds: below 9 km/s only with the whole speed at lift-off; above it with the impulse after the burn
    assert 7900.0 < r.ideal_speed_mps < 8400.0 < 9000.0 < r.ideal_speed_delayed_mps
    assert r.ideal_burn_delay_s == pytest.approx(catalog.get("gbi2-9.0").burn_time_s)
    # the reason says so, in the result itself
    assert "no speed tried up to 12,000 m/s engages" in r.reason and "thule" in r.reason
    # every speed tried reaches the threat, but its latest launch comes before the commit (9 km/s: ~100 s)
    cc = r.commit_curve
    late = dict(zip(cc["speeds_tried_mps"], cc["latest_launch_after_launch_s"], strict=True))
    assert r.earliest_launch_after_launch_s - 150.0 < late[9000.0] < r.earliest_launch_after_launch_s - 50.0
    assert late[9000.0] < late[12000.0] < r.earliest_launch_after_launch_s
    # a commit 200 s earlier engages at 9 km/s (the commit, not the search, sets the verdict)
    early = [x for x in cc["rows"] if x["commit_after_launch_s"] <= r.earliest_launch_after_launch_s - 200.0]
    assert early and all(x["threshold_mps"] is not None and x["threshold_mps"] <= 9000.0 for x in early)


def test_irkutsk_no_holds_in_a_direct_engine_search(irkutsk):
    """The fastest catalog variant's whole steering family flown at the threat's own bearings (no table): the
    best launch that reaches a midcourse point above 100 km is still more than 60 s before the commit."""
    from bmdsim.analysis.chase import _threat

    th = _threat("icbm-solid-russia", sites.resolve("x", "irkutsk"), sites.resolve("x", "washington"), 2.0)
    c = float(th.t_launch_s[0]) + irkutsk.earliest_launch_after_launch_s
    chk = direct_search(fan_at(catalog.get("gbi2-9.0"), "redzikowo"), th, 0, c, min_intercept_altitude_m=100e3,
                        sample_step_s=10.0)
    assert not chk.flown and np.isfinite(chk.deficit_s) and chk.deficit_s > 60.0
