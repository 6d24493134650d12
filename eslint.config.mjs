import nx from '@nx/eslint-plugin';
import { builtinModules } from 'node:module';

// What browser code must never import: Node's builtins (with and without `node:`) and the server packages.
// `@nx/enforce-module-boundaries` checks `bannedExternalImports` only against npm packages in the project graph
// (it returns early for Node builtins), so the builtins are banned with `no-restricted-imports` by
// `browserCode()`, which every platform:browser project (and the page's browser folder) adds to its eslint config.
export const SERVER_PACKAGES = ['express', 'node-media-server', 'fluent-ffmpeg', 'better-sqlite3', 'pg', 'ws'];
export const NODE_BUILTINS = ['node:*', ...builtinModules.filter((m) => !m.startsWith('_'))];

/** An eslint config block: `files` are browser code (no Node builtins, no server packages, only `allowedLivelab`). */
export function browserCode(files, allowedLivelab) {
  const patterns = [{ group: NODE_BUILTINS, message: 'browser code: no Node builtins (platform:browser)' }];
  if (allowedLivelab) {
    patterns.push({
      group: ['@livelab/*', ...allowedLivelab.map((name) => `!${name}`)],
      message: `browser code imports only platform:browser projects (${allowedLivelab.join(', ')})`,
    });
  }
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: SERVER_PACKAGES.map((name) => ({ name, message: 'browser code: no server packages (platform:browser)' })),
          patterns,
        },
      ],
    },
  };
}

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: ['**/dist', '**/out-tsc', '**/node_modules', '**/vendor', '**/*.bundle.js', '.nx'],
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$'],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:app'] },
            {
              sourceTag: 'platform:browser',
              onlyDependOnLibsWithTags: ['platform:browser'],
              bannedExternalImports: SERVER_PACKAGES,
            },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:media', onlyDependOnLibsWithTags: ['scope:media', 'scope:shared'] },
            { sourceTag: 'scope:whoami', onlyDependOnLibsWithTags: ['scope:whoami', 'scope:shared'] },
            { sourceTag: 'scope:work', onlyDependOnLibsWithTags: ['scope:work', 'scope:shared'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
];
