// Bundles src/ into the static assets the server embeds: console.js (one
// script, no inline code, uPlot included), console.css (uPlot's stylesheet
// and ours) and index.html, into OUT_DIR (default dist/).
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const out = process.env.OUT_DIR || "dist";
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ["src/main.ts"],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outfile: join(out, "console.js"),
  logLevel: "warning",
});
for (const f of ["index.html", "favicon.svg"]) copyFileSync(join("src", f), join(out, f));
// One stylesheet: uPlot's own (from its npm package), then ours.
const uplotCss = readFileSync(join("node_modules", "uplot", "dist", "uPlot.min.css"), "utf8");
writeFileSync(join(out, "console.css"), `${uplotCss}\n${readFileSync(join("src", "console.css"), "utf8")}`);
