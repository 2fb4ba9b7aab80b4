// Bundles src/ into the static assets the server embeds: console.js (one
// script, no inline code), console.css and index.html, into OUT_DIR
// (default dist/).
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
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
for (const f of ["index.html", "console.css", "favicon.svg"]) copyFileSync(join("src", f), join(out, f));
