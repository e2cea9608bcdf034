// The page is built into the Python package, served by `glassnet playground` under `/`.
// Relative asset URLs (base './') so the same files work under any prefix; no CDN, no remote fonts.
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  build: {
    outDir: "../../src/glassnet/playground/static",
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2020",
    sourcemap: false,
    chunkSizeWarningLimit: 200,
  },
});
