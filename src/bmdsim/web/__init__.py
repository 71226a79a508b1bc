"""The local web service and the offline 3D globe viewer (``bmdsim serve``).

- :mod:`bmdsim.web.runs`: the runs a service knows (past ones found in its runs folder, new ones it queues) and
  the bounded background worker that executes them with :func:`bmdsim.scenario.run.run` and writes the usual
  output folder.
- :mod:`bmdsim.web.app`: the HTTP API (FastAPI; documented by its OpenAPI spec at ``/openapi.json``) and the
  viewer at ``/`` (static files in ``static/``, with a vendored, trimmed CesiumJS build: ``tools/vendor_cesium.sh``).

This layer sits at the top beside :mod:`bmdsim.cli`: it calls the same scenario and store code and serves the
files and tables a run writes; it holds no physics and no second result model.
"""
