import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";

// `npm run lint:code` (part of `npm test`) fails on any warning. Formatting is Prettier's job; max-len is here because
// Prettier leaves long strings and comments alone.
export default defineConfig(
  globalIgnores(["src/worker-configuration.d.ts", "docs/", "bench/results/", "test-results/", ".wrangler/", "**/*.generated.*"]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "max-len": ["error", { code: 140, ignoreUrls: true, ignoreRegExpLiterals: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    // The code that ships is checked with its types. Tests and dev tools are not: they read JSON answers as `any`
    // on purpose, and their assertions stay as written.
    files: ["src/**/*.ts"],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Methods that implement a Promise-returning interface are async without awaiting anything.
      "@typescript-eslint/require-await": "off",
      // A file sent where a form's text field belongs reads as "[object File]", which that field's own check refuses.
      "@typescript-eslint/no-base-to-string": ["error", { ignoredTypeNames: ["Error", "RegExp", "URL", "URLSearchParams", "File"] }],
    },
  },
  {
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { module: "writable", require: "readonly" } },
  },
);
