import { defineConfig } from "vitest/config";

// One test config for the whole workspace. Unit tests need no network; integration
// tests start their own servers on random loopback ports and stop them.
export default defineConfig({
  test: {
    include: ["*/test/**/*.test.ts", "*/src/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "node-red/**/node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    globalSetup: ["./test/global-setup.ts"],
    // Under CI also keep a machine-readable result, from which .ci/run prints one summary line.
    reporters: process.env.CI ? ["default", ["json", { outputFile: ".tmp/vitest-results.json" }]] : ["default"],
  },
});
