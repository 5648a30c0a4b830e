/**
 * Two tiers of tests, both run by `npm test`: fast unit tests (`*.test.ts`) and end-to-end tests
 * (`*.e2e.test.ts`: they spawn processes, servers or a browser). `npm run test:unit` and
 * `npm run test:e2e` run one tier. Jest runs the TypeScript sources directly, each file transpiled on
 * its own by swc (what tsconfig's isolatedModules allows); `tsc --noEmit` in `npm test` does the type
 * checking.
 */
const shared = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  transform: {
    "^.+\\.ts$": [
      "@swc/jest",
      {
        jsc: { parser: { syntax: "typescript" }, target: "es2022" },
        module: { type: "commonjs" },
        sourceMaps: "inline",
      },
    ],
  },
};

module.exports = {
  testTimeout: 60000,
  // One worker per core (jest's default leaves one idle): much of the end-to-end tier waits on the
  // processes, servers and browser it starts, and the unit tier is CPU-bound file by file.
  maxWorkers: "100%",
  projects: [
    {
      ...shared,
      displayName: "unit",
      testMatch: ["**/*.test.ts"],
      testPathIgnorePatterns: ["\\.e2e\\.test\\.ts$"],
      // The policy tests' home stack, built once per run instead of once per file.
      globalSetup: "<rootDir>/tests/support/buildHomeStack.ts",
      globalTeardown: "<rootDir>/tests/support/removeHomeStack.ts",
    },
    { ...shared, displayName: "e2e", testMatch: ["**/*.e2e.test.ts"] },
  ],
};
