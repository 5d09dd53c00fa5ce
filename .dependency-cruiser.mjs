/**
 * Import cycles, looked for by dependency-cruiser (`npm run lint` runs it after eslint).
 * ESLint's import-x/no-cycle would be the natural home, but it skips `import type` by design, and
 * the last cycle this repo untangled (aws-clients → credentials → aws-clients, and login-types)
 * was made of type imports only. Which folder may import which is eslint.config.js's job.
 * @type {import("dependency-cruiser").IConfiguration}
 */
export default {
  forbidden: [
    {
      name: "no-import-cycle",
      severity: "error",
      comment:
        "Files import each other in a cycle (`import type` counts: it is a dependency of the design). " +
        "Move what they share into a file both import.",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    // Keep the imports TypeScript erases (`import type`, unused imports): they are still edges.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    doNotFollow: { path: "node_modules" },
    // test/fixtures/lint/ holds deliberate cycles; test/unit/lint/layers.test.ts cruises it.
    exclude: { path: "^(node_modules|dist|test-logs|test-artifacts|test/fixtures/lint)/" },
  },
};
