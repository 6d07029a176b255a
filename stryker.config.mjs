// @ts-check
// Mutation testing (`npm run mutate`): Stryker breaks the files below one small change at a time and
// runs their unit tests against each change; a change no test notices is a behaviour nothing protects.
// node:test has no Stryker plugin, so the command runner runs scripts/mutate-tests.sh, which reports
// pass or fail by its exit code; with no per-test coverage, `coverageAnalysis` must be 'off'.
//
// Without coverage every mutant runs all the tests given, so the files go in two groups, each with only
// its own tests (SHARPBOX_MUTATE picks one; scripts/mutate.sh runs both): the bot's tests load discord.js,
// which alone costs each mutant two seconds.
const groups = {
  runner: [
    'src/runner/classify.ts',
    'src/runner/limits.ts',
    'src/runner/admission.ts',
    'src/runner/results.ts',
    'src/runner/backends/local/execSandbox.ts',
    'src/runner/backends/local/bwrapArgs.ts',
  ],
  bot: ['src/bot/render.ts', 'src/bot/sanitize.ts'],
};
const group = /** @type {keyof typeof groups} */ (process.env.SHARPBOX_MUTATE ?? 'runner');
if (!(group in groups))
  throw new Error(`SHARPBOX_MUTATE: expected one of ${Object.keys(groups).join(', ')}, got '${group}'`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: groups[group],
  testRunner: 'command',
  commandRunner: { command: `bash scripts/mutate-tests.sh ${group}` },
  coverageAnalysis: 'off',
  // Built once per run: the mutants are all compiled in (one switched on per test run by an environment
  // variable), so the build does not change between mutants.
  buildCommand: 'npm run build',
  // Not needed by the unit tests; copying them into the sandbox only slows the start.
  ignorePatterns: [
    '.stryker-tmp',
    'dist',
    'container/bin',
    'container/host/bin',
    'container/host/obj',
    '.artifacts',
    'reports',
  ],
  // One folder per group, so the two can run at once.
  tempDirName: `.stryker-tmp/${group}`,
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: `reports/mutation/${group}.html` },
  thresholds: { high: 90, low: 80, break: null },
  // A busy machine (CI beside it) makes a healthy run slow; a mutant that loops forever still stands out.
  timeoutMS: 15_000,
  concurrency: 2,
};
