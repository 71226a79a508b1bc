"""Scenario strings reach KML and CZML descriptions, which Google Earth and Cesium render as HTML: they must arrive
escaped (a ``<script>`` in a site name renders as text), in both exports."""

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from types import SimpleNamespace

import numpy as np

from bmdsim.store import exports

EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def _result():
    t = SimpleNamespace(name="t1", missile="irbm-3700", launch="semnan", target=EVIL, range_km=2000.0,
                        apogee_km=600.0, time_of_flight_s=900.0, impact_t_s=900.0, launch_latitude_deg=35.2,
                        launch_longitude_deg=53.9, impact_latitude_deg=52.5, impact_longitude_deg=13.4)
    ts = np.array([0.0, 450.0, 900.0])
    site = SimpleNamespace(name="evil-site", latitude_deg=52.0, longitude_deg=17.0)
    isite = SimpleNamespace(name="gbi", site="evil-site", inventory=4, interceptor=EVIL,
                            readiness=SimpleNamespace(state=EVIL))
    scn = SimpleNamespace(name=EVIL, sites=[site], interceptor_sites=[isite],
                          epoch_utc=datetime(2007, 10, 25, 12, tzinfo=UTC))
    sensor = SimpleNamespace(kind="radar", name="brdy", catalog=EVIL, label="NOTIONAL", latitude_deg=49.6,
                             longitude_deg=13.8, altitude_m=700.0, fields_of_regard=(), min_elevation_deg=2.0,
                             max_range_km=5000.0)
    engagement = SimpleNamespace(site=EVIL, threat="t1", shot=1, interceptor="gbi2-9.0", interceptor_launch_t_s=300.0,
                                 intercept_latitude_deg=50.0, intercept_longitude_deg=20.0,
                                 intercept_altitude_km=200.0, intercept_t_s=600.0)
    cell = SimpleNamespace(defended=True, site=EVIL, variant="v", launch_site="semnan", latitude_deg=50.0,
                           longitude_deg=10.0, shots=2)
    return SimpleNamespace(scenario=scn, threats=[t], aircraft=[], sensors=[sensor], coverage=[], tracks={},
                           feeds={}, engagements=[engagement], footprint=SimpleNamespace(cells=[cell]), airspace=[],
                           flyouts=[SimpleNamespace(site=EVIL, threat="t1", shot=1, interceptor=EVIL,
                                                    launch_t_s=300.0, launch_azimuth_deg=80.0, intercept_t_s=600.0,
                                                    intercept_altitude_km=200.0, miss_m=3.0, t_s=ts[:2],
                                                    latitude_deg=np.array([52.0, 50.0]),
                                                    longitude_deg=np.array([17.0, 20.0]),
                                                    altitude_m=np.array([0.0, 2e5]))],
                           trajectories={"t1": (ts, np.array([35.2, 45.0, 52.5]), np.array([53.9, 30.0, 13.4]),
                                                np.array([0.0, 6e5, 0.0]))})


def _check(descriptions):
    assert len(descriptions) >= 3
    for d in descriptions:
        assert "<" not in d and ">" not in d, d      # no markup survives
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in d for d in descriptions)


def test_kml_descriptions_escaped(tmp_path):
    p = tmp_path / "s.kml"
    exports.write_kml(p, _result())
    root = ET.parse(p).getroot()
    _check([e.text or "" for e in root.iter("{http://www.opengis.net/kml/2.2}description")])


def test_czml_descriptions_escaped(tmp_path):
    p = tmp_path / "s.czml"
    exports.write_czml(p, _result())
    doc = json.loads(p.read_text())
    _check([pk["description"] if isinstance(pk["description"], str) else json.dumps(pk["description"])
            for pk in doc if "description" in pk])
