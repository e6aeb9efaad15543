import { defineConfig } from "vitest/config";

// One runner for everything. `npm test` runs all suites; suites that need what this machine lacks
// (Docker images, a k6 binary) skip and print why.
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default", "./tests/support/closing-line-reporter.ts"],
  },
});
