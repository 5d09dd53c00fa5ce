// @ts-check
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import { importX } from "eslint-plugin-import-x";
import tseslint from "typescript-eslint";

/**
 * The proxy's folders by layer, 0 at the bottom. A folder may import only folders of a strictly
 * lower rank: never its own rank, never above (its index.ts may name fewer, never more).
 * proxy/index.ts, the package's public entry, sits above them all and may import any of them.
 */
const proxyRanks = {
  cli: 6,
  forward: 5,
  reverse: 5,
  pages: 4,
  signin: 3,
  aws: 2,
  upstream: 2,
  mitm: 2,
  http: 1,
  common: 0,
};

/** The top-level folders product code ships, and those it must never import. */
const productFolders = ["protocol", "proxy", "server-middleware", "example-server"];
const nonProductFolders = ["local-aws", "test", "bench", "scripts"];

/**
 * The design's import rules as import-x/no-restricted-paths zones, one per (importer, imported)
 * pair so every message names both folders and the rule broken. Paths are relative to basePath.
 * @returns {{ target: string, from: string, message: string }[]}
 */
function createLayerZones() {
  const zones = [];
  const forbid = (/** @type {string} */ target, /** @type {string} */ from, /** @type {string} */ why) =>
    zones.push({ target, from, message: `${target}/ may not import ${from}/ (${why})` });

  for (const [folder, rank] of Object.entries(proxyRanks)) {
    for (const [other, otherRank] of Object.entries(proxyRanks)) {
      if (other === folder || otherRank < rank) continue;
      const why =
        otherRank > rank ? "a lower layer imports a higher one" : "folders of the same layer are independent";
      forbid(`proxy/${folder}`, `proxy/${other}`, why);
    }
    zones.push({
      target: `proxy/${folder}`,
      from: "proxy/index.ts",
      message: `proxy/${folder}/ may not import proxy/index.ts (a lower layer imports the public entry above it)`,
    });
  }
  for (const other of [...productFolders, ...nonProductFolders]) {
    if (other !== "protocol")
      forbid("protocol", other, "protocol/ is pure and imports no other top-level folder");
  }
  forbid("server-middleware", "proxy", "the middleware and the proxy are independent");
  forbid("proxy", "server-middleware", "the middleware and the proxy are independent");
  for (const product of productFolders.filter((folder) => folder !== "protocol")) {
    for (const other of nonProductFolders) {
      forbid(product, other, "product code never imports test doubles, tests, benchmarks or scripts");
    }
  }
  return zones;
}

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "test-logs/**",
      "bench/results/**",
      "**/*.mjs",
      "eslint.config.js",
      // Deliberately broken imports; test/unit/lint/layers.test.ts lints them with the rules below.
      "test/fixtures/lint/**",
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        // node:test's describe/it return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: "package", package: "node:test", name: ["describe", "it", "test", "suite"] },
          ],
        },
      ],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false } }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  // Which folder may import which (the import cycles are .dependency-cruiser.mjs's, run by
  // `npm run lint`: import-x/no-cycle skips `import type`). Every import counts here, `import type`,
  // `export … from` and `import()` included: they are all dependencies of the design.
  {
    files: ["**/*.ts"],
    plugins: { "import-x": importX },
    settings: {
      // Imports are written `./x.js` for `x.ts`; the TypeScript resolver maps them as tsc does.
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: import.meta.dirname })],
    },
    rules: {
      "import-x/no-restricted-paths": ["error", { basePath: import.meta.dirname, zones: createLayerZones() }],
    },
  },
);
