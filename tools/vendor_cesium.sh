#!/usr/bin/env bash
# Vendor a pinned CesiumJS build into the package (src/bmdsim/web/static/cesium/) for the offline viewer.
#
# Produced from the npm package (Apache-2.0) with `npm pack cesium@$CESIUM_VERSION`; keeps only what the viewer
# loads: the minified Build/Cesium/Cesium.js, the Widgets CSS (one file), the Workers, the few Assets it requests
# (sky box, moon, Earth-orientation tables, approximate terrain heights, credit images) and the Natural Earth II
# imagery tiles of levels 0-2. Drops the glTF/Draco/Basis/Gaussian-splat WebAssembly (ThirdParty/), lens flare,
# water normals, Maki icons, the widget images (base-layer picker, help, info box: all disabled) and the unminified
# build. Run from the repository root; needs npm and network access
# to the npm registry (at development time only: the package ships the result).
set -euo pipefail
CESIUM_VERSION="${CESIUM_VERSION:-1.145.0}"
DEST="src/bmdsim/web/static/cesium"
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "cesium@$CESIUM_VERSION" >/dev/null && tar xzf "cesium-$CESIUM_VERSION.tgz")
src="$work/package/Build/Cesium"
rm -rf "$DEST"
mkdir -p "$DEST/Assets/Textures"
cp "$src/Cesium.js" "$DEST/"
cp -r "$src/Workers" "$DEST/"
mkdir -p "$DEST/Widgets"
cp "$src/Widgets/widgets.css" "$DEST/Widgets/"   # all widget styles in one file (the per-widget copies dropped)
cp -r "$src/Assets/Images" "$src/Assets/IAU2006_XYS" "$src/Assets/approximateTerrainHeights.json" "$DEST/Assets/"
cp -r "$src/Assets/Textures/SkyBox" "$src/Assets/Textures/moonSmall.jpg" "$DEST/Assets/Textures/"
mkdir -p "$DEST/Assets/Textures/NaturalEarthII"
cp "$src/Assets/Textures/NaturalEarthII/tilemapresource.xml" "$DEST/Assets/Textures/NaturalEarthII/"
for level in 0 1 2; do
  cp -r "$src/Assets/Textures/NaturalEarthII/$level" "$DEST/Assets/Textures/NaturalEarthII/"
done
cp "$work/package/LICENSE.md" "$DEST/LICENSE.md"
cp "$work/package/ThirdParty.json" "$DEST/ThirdParty.json"
printf 'cesium %s (npm pack cesium@%s, Build/Cesium, trimmed by tools/vendor_cesium.sh)\n' \
  "$CESIUM_VERSION" "$CESIUM_VERSION" > "$DEST/VERSION"
du -sh "$DEST"
