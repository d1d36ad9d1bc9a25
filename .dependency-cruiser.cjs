/**
 * The layering of src/, checked by dependency-cruiser: `npm run lint:layers`
 * (`depcruise src --config .dependency-cruiser.cjs`), which exits non-zero on any violation.
 *
 * Layers, lowest first; a module may import its own layer or a lower one, never a higher one:
 *   0 foundation  src/config.ts and src/config/, src/metrics.ts, src/startup-error.ts,
 *                 src/address-ranges.ts, src/log-redaction.ts, src/auth-failures.ts,
 *                 src/freeswitch/ (FreeSWITCH vocabulary: names, dial strings, command builders)
 *   1 db          src/db/
 *   2 domain      src/domain/, src/sip/, src/http/ (HTTP helpers shared by several features)
 *   3 esl         src/esl/
 *   4 features    src/xmlcurl/, src/cdr/, src/media/, src/scheduler/, src/seed/
 *   5 api         src/api/
 *   6 top         src/app.ts, src/main.ts, src/wiring/ (the composition root's parts)
 *
 * Rules (each an `error`):
 *   no-circular            no import cycle between files of src/
 *   <layer>-no-upward      no import from a layer to a higher one (one rule per layer)
 *   esl-knows-no-features  src/esl/ imports none of cdr/, media/, xmlcurl/, scheduler/, api/
 *   <feature>-no-feature   a feature imports no other feature (one rule per feature)
 *   wiring-only-from-main  src/wiring/ is imported only by src/main.ts and src/wiring/ itself
 *                          (tests import it too, but test/ is not cruised)
 *   every-file-in-a-layer  a file of src/ outside every layer neither imports nor is imported
 *
 * Type-only imports (`import type`, `export type ... from`) count like any other import
 * (`tsPreCompilationDeps: true`). Imports are resolved as TypeScript does with tsconfig.json
 * (NodeNext: `./x.js` is `./x.ts`). Nothing is allowlisted.
 */

/** [name, path regex] of each layer, lowest first. */
const LAYERS = [
  ['foundation', '^src/(config\\.ts|config/|metrics\\.ts|startup-error\\.ts|address-ranges\\.ts|log-redaction\\.ts|auth-failures\\.ts|v8-flags\\.ts|freeswitch/)'],
  ['db', '^src/db/'],
  ['domain', '^src/(domain|sip|http)/'],
  ['esl', '^src/esl/'],
  ['features', '^src/(xmlcurl|cdr|media|scheduler|seed)/'],
  ['api', '^src/api/'],
  ['top', '^src/(app\\.ts|main\\.ts|wiring/)'],
];

const FEATURES = ['xmlcurl', 'cdr', 'media', 'scheduler', 'seed'];

const anyLayer = LAYERS.map(([, p]) => `(${p})`).join('|');

const upward = LAYERS.slice(0, -1).map(([name, path], i) => ({
  name: `${name}-no-upward`,
  severity: 'error',
  comment: `${name} (layer ${i}) may import only its own layer or a lower one, not ${LAYERS.slice(i + 1).map(([n]) => n).join(', ')}`,
  from: { path },
  to: { path: LAYERS.slice(i + 1).map(([, p]) => `(${p})`).join('|') },
}));

const featureIsolation = FEATURES.map((feature) => ({
  name: `${feature}-no-feature`,
  severity: 'error',
  comment: `src/${feature}/ is a feature; features do not import each other (shared code goes to a lower layer)`,
  from: { path: `^src/${feature}/` },
  to: { path: `^src/(${FEATURES.filter((f) => f !== feature).join('|')})/` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'an import cycle between files of src/',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...upward,
    {
      name: 'esl-knows-no-features',
      severity: 'error',
      comment: 'src/esl/ knows nothing of CDRs, the AI agent, mod_xml_curl, the scheduler or the API: handlers register with it',
      from: { path: '^src/esl/' },
      to: { path: '^src/(cdr|media|xmlcurl|scheduler|api)/' },
    },
    ...featureIsolation,
    {
      name: 'wiring-only-from-main',
      severity: 'error',
      comment: 'src/wiring/ is the composition root\'s parts: only src/main.ts (and tests) import it',
      from: { path: '^src/', pathNot: '^src/(main\\.ts|wiring/)' },
      to: { path: '^src/wiring/' },
    },
    {
      name: 'every-file-in-a-layer',
      severity: 'error',
      comment: 'a file of src/ outside every layer: put it in a layer\'s folder (or add it to a layer here)',
      from: { path: '^src/', pathNot: anyLayer },
      to: {},
    },
    {
      name: 'every-file-in-a-layer',
      severity: 'error',
      comment: 'a file of src/ outside every layer: put it in a layer\'s folder (or add it to a layer here)',
      from: { path: '^src/' },
      to: { path: '^src/', pathNot: anyLayer },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
