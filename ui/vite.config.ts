import { defineConfig } from "vitest/config";

export default defineConfig({
  root: "ui",
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  build: { outDir: "dist", emptyOutDir: true, target: "es2021" },
  test: { environment: "jsdom", include: ["tests/**/*.test.ts"] },
});
