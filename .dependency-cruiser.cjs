/**
 * Import rules: db ← src ← {bot, web}; bin may import anything; only the store (and db, tests) touch the
 * database; no cycles. Run by `npm test` (`depcruise`).
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Modules form a tree: a cycle means two modules own one concept. Cycles made only of type imports are erased at compile time and allowed.',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'db-imports-no-app',
      severity: 'error',
      comment: 'db is the bottom layer: it imports nothing of src, bot, web or bin.',
      from: { path: '^db/' },
      to: { path: '^(src|bot|web|bin)/' },
    },
    {
      name: 'src-imports-no-surface',
      severity: 'error',
      comment: 'The core never imports a surface (bot, web) or the entry points (bin).',
      from: { path: '^src/' },
      to: { path: '^(bot|web|bin)/' },
    },
    {
      name: 'bot-not-web',
      severity: 'error',
      comment: 'Surfaces are siblings: the bot never imports the board.',
      from: { path: '^bot/' },
      to: { path: '^(web|bin)/' },
    },
    {
      name: 'web-not-bot',
      severity: 'error',
      comment: 'Surfaces are siblings: the board never imports the bot.',
      from: { path: '^web/' },
      to: { path: '^(bot|bin)/' },
    },
    {
      name: 'store-only-database',
      severity: 'error',
      comment:
        'Only src/store (and db, bin, tests) talks to the database: schema, raw SQL, the connection, drizzle-orm.',
      from: { path: '^(src|bot|web)/', pathNot: '^src/store/' },
      to: { path: '^db/(index|schema|raw)\\.ts$|(^|/)node_modules/drizzle-orm/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
