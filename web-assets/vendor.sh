#!/bin/sh
# Refresh the charting library the pages serve, from the npm registry, at the versions pinned in
# package.json and package-lock.json:  web-assets/vendor.sh
# The committed copies in calculator/web/static/vendor/ are what runs (no CDN, works offline);
# to upgrade, change the versions in package.json, run `npm install` here, then this script.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
target=../calculator/web/static/vendor
rm -rf "$target"
mkdir -p "$target/chart.js" "$target/chartjs-plugin-annotation"
cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/LICENSE.md "$target/chart.js/"
# chart.umd.min.js bundles @kurkle/color (MIT): its licence travels with it.
cp node_modules/@kurkle/color/LICENSE.md "$target/chart.js/LICENSE-kurkle-color.md"
cp node_modules/chartjs-plugin-annotation/dist/chartjs-plugin-annotation.min.js \
   node_modules/chartjs-plugin-annotation/LICENSE.md "$target/chartjs-plugin-annotation/"
node -e '
  const fs = require("fs"), crypto = require("crypto");
  const lines = ["# Vendored by web-assets/vendor.sh from the npm registry; do not edit by hand.", ""];
  for (const [name, file] of [["chart.js", "chart.js/chart.umd.min.js"], ["@kurkle/color", null],
      ["chartjs-plugin-annotation", "chartjs-plugin-annotation/chartjs-plugin-annotation.min.js"]]) {
    const meta = JSON.parse(fs.readFileSync(`node_modules/${name}/package.json`, "utf8"));
    let line = `${name} ${meta.version} (${meta.license})`;
    if (file) {
      const digest = crypto.createHash("sha256").update(fs.readFileSync(`${process.argv[1]}/${file}`)).digest("hex");
      line += ` ${file} sha256 ${digest}`;
    } else {
      line += " bundled in chart.js/chart.umd.min.js";
    }
    lines.push(line);
  }
  fs.writeFileSync(`${process.argv[1]}/VERSIONS`, lines.join("\n") + "\n");
' "$target"
cat "$target/VERSIONS"
