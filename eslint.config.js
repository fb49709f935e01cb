import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "**/coverage/**", "**/.tmp/**", "node-red/lib/**", "bench/results/**", "bench/data/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "warn",
    },
  },
  {
    // Product code never depends on test helpers (scripts/platform, the demo harness, may).
    files: ["*/src/**/*.ts"],
    ignores: ["test-support/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["@fieldline/test-support", "@fieldline/test-support/*"], message: "test helpers are for tests, benchmarks and scripts only" }] }],
    },
  },
  {
    // CommonJS, as Node-RED loads nodes with require(); node.js `this` aliasing is its idiom.
    files: ["**/*.cjs", "node-red/nodes/**/*.js"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off", "@typescript-eslint/no-this-alias": "off" },
  },
);
