// Share links: valid runs survive the round trip exactly (property-based), links stay short, and
// every kind of broken, tampered or hostile link is reported, never thrown, with defaults for what
// cannot be used.
import fc from 'fast-check';
import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ADAPTER_KINDS, NONLINEARITIES, PRUNER_KINDS, defaultRunSettings, type RunSettings } from '../engine/settings';
import { decodeShare, encodeShare, MAX_SHARED_RUNS, SHARE_PREFIX, SHAREABLE_TASKS, type SharedResults, type SharedRun } from './share';

const int = (min: number, max: number) => fc.integer({ min, max });
// JSON has no −0: a link carries 0 (the same number to every consumer).
const real = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((x) => x + 0);

const settingsArb: fc.Arbitrary<RunSettings> = fc.record({
  task: fc.constantFrom(...SHAREABLE_TASKS),
  splitSeed: int(0, 2 ** 31 - 1),
  adapter: fc.record({
    kind: fc.constantFrom(...ADAPTER_KINDS), dim: int(1, 1024), nonlinearity: fc.constantFrom(...NONLINEARITIES), init: fc.constantFrom('bert' as const, 'standard' as const),
    loraAlpha: real(0.001, 4096), parallelScale: real(0, 100), prefixHidden: int(1, 4096), mamParallelDim: int(1, 1024), pruneBiases: fc.boolean(), prunePrefix: fc.boolean(),
  }),
  prune: fc.record({ pruner: fc.constantFrom(...PRUNER_KINDS), sparsity: real(0, 0.99), scope: fc.constantFrom('global' as const, 'local' as const), rounds: int(1, 100), schedule: fc.constantFrom('exponential' as const, 'linear' as const), scoringBatches: int(1, 64) }),
  largeSparse: int(1, 16),
  train: fc.record({ steps: int(1, 1_000_000), batchSize: int(1, 1024), seqLen: int(8, 512), learningRate: real(1e-9, 1), warmupRatio: real(0, 1), weightDecay: real(0, 10), maxGradNorm: real(0, 1000), seed: int(0, 2 ** 31 - 1), evalEvery: int(0, 1_000_000) }),
});

const count = int(0, 1e9);
const resultsArb: fc.Arbitrary<SharedResults> = fc.record({
  status: fc.constantFrom('done' as const, 'stopped' as const, 'failed' as const),
  seconds: real(0, 1e6),
  budget: fc.record({ plmParams: count, adapterParams: count, adapterPrunable: count, adapterNonzero: count, headParams: count, trainableNonzero: count, percentOfPlm: real(0, 100) }),
  dev: fc.option(fc.record({ accuracy: real(0, 1), macroF1: real(0, 1), mcc: real(-1, 1), count }), { nil: null }),
  labels: fc.array(fc.string({ maxLength: 20 }), { maxLength: 12 }),
  confusion: fc.option(fc.array(fc.array(count, { maxLength: 12 }), { maxLength: 12 }), { nil: null }),
  losses: fc.array(fc.tuple(int(0, 1e6), real(-1e3, 1e3)), { maxLength: 60 }),
  evals: fc.array(fc.tuple(int(0, 1e6), real(0, 1), real(0, 1), real(-1, 1)), { maxLength: 60 }),
});

const runArb: fc.Arbitrary<SharedRun> = fc.record({
  label: fc.string({ minLength: 1, maxLength: 60 }),
  settings: settingsArb,
  results: fc.option(resultsArb, { nil: null }),
  comparison: fc.option(fc.record({ group: fc.string({ minLength: 1, maxLength: 40 }), role: fc.constantFrom('standard' as const, 'large-sparse' as const) }), { nil: null }),
  seedGroup: fc.option(fc.record({ group: fc.string({ minLength: 1, maxLength: 40 }), seeds: int(1, 20) }), { nil: undefined }),
});

/** A link whose payload is `value` as JSON, made the way the page makes links. */
const linkOf = (value: unknown, version = 1) => linkOfText(JSON.stringify(value), version);
const linkOfText = (json: string, version = 1) => {
  const bytes = deflateSync(new TextEncoder().encode(json));
  return `${SHARE_PREFIX}${version}.${btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
};
const oneRun = (settings: unknown) => linkOf({ v: 1, runs: [{ label: 'x', settings }] });

describe('round trip', () => {
  it('decodes every valid set of runs to exactly what was encoded, with no problems', () => {
    fc.assert(fc.property(fc.array(runArb, { minLength: 1, maxLength: MAX_SHARED_RUNS }), (runs) => {
      let hash: string;
      try {
        hash = encodeShare(runs);
      } catch (error) {
        // Many runs of incompressible curves can make a link longer than a reader takes: none is made.
        expect((error as Error).message).toMatch(/characters, more than the 65,536 a link may have: share fewer runs, or leave out their results$/);
        return;
      }
      const decoded = decodeShare(hash);
      expect(decoded.problems).toEqual([]);
      expect(decoded.runs).toEqual(runs);
    }), { numRuns: 300 });
  });

  it('keeps a configuration-only link under 2,000 characters and one with results under 8 KB', () => {
    fc.assert(fc.property(settingsArb, resultsArb, (settings, results) => {
      expect(encodeShare([{ label: 'houlsby d=1024 95% snip (Large-Sparse ×16)', settings, results: null, comparison: null }]).length).toBeLessThan(2000);
      // Worst case for size: full curves of incompressible numbers, 12 labels and their confusion matrix.
      const full: SharedResults = { ...results, labels: Array.from({ length: 12 }, (_, i) => `LABEL${i}`), confusion: Array.from({ length: 12 }, () => Array.from({ length: 12 }, () => 99999)), losses: Array.from({ length: 60 }, (_, i) => [i * 1000, 1.2345 + i / 7]), evals: Array.from({ length: 60 }, (_, i) => [i * 1000, 0.123456 + i / 997, 0.654321, -0.111111 + i / 991]) };
      expect(encodeShare([{ label: 'a run', settings, results: full, comparison: null }]).length).toBeLessThan(8 * 1024);
    }), { numRuns: 50 });
  });
});

describe('untrusted links', () => {
  it('refuses another version, a truncated or tampered string and non-links, saying why', () => {
    const good = encodeShare([{ label: 'r', settings: defaultRunSettings(), results: null, comparison: null }]);
    const cases: [string, RegExp][] = [
      [good.replace('#share=1.', '#share=2.'), /made by a newer version .*format 2, this page reads 1/],
      [good.replace('#share=1.', '#share=0.'), /older version/],
      [good.replace('#share=1.', '#share=x.'), /no version number/],
      [good.slice(0, good.length - 20), /corrupt or truncated/],
      [good.slice(0, 12) + '!!' + good.slice(14), /characters that a share link never has/],
      ['#other', /not a share link/],
      [linkOf({ v: 1, runs: [] }), new RegExp(`not a list of 1 to ${MAX_SHARED_RUNS} runs`)],
      [linkOf({ v: 7, runs: [{ settings: {} }] }), /contents say format 7/],
      [SHARE_PREFIX + '1.' + btoa('not deflate at all'), /corrupt or truncated|not valid JSON/],
    ];
    for (const [link, message] of cases) {
      const decoded = decodeShare(link);
      expect(decoded.runs, link).toEqual([]);
      expect(decoded.problems[0]).toMatch(message);
      expect(decoded.problems[0]).toContain('Nothing was changed');
    }
  });

  it('falls back to the default for each value out of range or of the wrong type, naming it', () => {
    const settings = structuredClone(defaultRunSettings('lora')) as unknown as Record<string, Record<string, unknown>>;
    settings.prune!.sparsity = 1.5;
    settings.train!.steps = 'many';
    settings.adapter!.dim = -3;
    delete settings.train!.seed;
    const { runs, problems } = decodeShare(oneRun(settings));
    const defaults = defaultRunSettings('lora');
    expect(runs[0]!.settings.adapter.kind).toBe('lora');
    expect(runs[0]!.settings.prune.sparsity).toBe(defaults.prune.sparsity);
    expect(runs[0]!.settings.train.steps).toBe(defaults.train.steps);
    expect(runs[0]!.settings.adapter.dim).toBe(defaults.adapter.dim);
    expect(runs[0]!.settings.train.seed).toBe(defaults.train.seed);
    expect(problems).toEqual([
      'the run: adapter.dim -3 is not valid (Too small: expected number to be >=1); using 8',
      'the run: prune.sparsity 1.5 is not valid (Too big: expected number to be <=0.99); using 0.4',
      'the run: train.steps "many" is not valid (Invalid input: expected number, received string); using 200',
      'the run: train.seed is missing; using the default (seed = 1)',
    ]);
  });

  it('says that an uploaded task cannot travel in a link and uses the toy task', () => {
    const { runs, problems } = decodeShare(oneRun({ ...defaultRunSettings(), task: 'file:my-data.csv' }));
    expect(runs[0]!.settings.task).toBe('toy');
    expect(problems).toEqual(['the run: the run used your sender\'s own file "my-data.csv", which a link cannot carry; using the toy task (upload the file and pick it to train on it)']);
  });

  it('drops damaged results but keeps the settings', () => {
    const link = linkOf({ v: 1, runs: [{ label: 'r', settings: defaultRunSettings(), results: { status: 'done', losses: 'oops' } }] });
    const { runs, problems } = decodeShare(link);
    expect(runs[0]!.settings).toEqual(defaultRunSettings());
    expect(runs[0]!.results).toBeNull();
    expect(problems[0]).toMatch(/^the run: its results are damaged .*showing the settings only$/);
  });

  it('survives 1,000 mutated and random links without throwing, giving runs or a reason', () => {
    const seeds = [
      encodeShare([{ label: 'r', settings: defaultRunSettings(), results: null, comparison: null }]),
      linkOfText('{"v":1,"runs":[{"label":"<img src=x onerror=alert(1)>","settings":{"task":"<script>alert(1)</script>","adapter":{"kind":"constructor","__proto__":{"polluted":true}},"__proto__":{"polluted":true}}}]}'),
    ];
    const alphabet = 'AZaz09-_.=#%<>"\'&; \u0000\u{1F600}';
    const mutation = fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.constantFrom('replace', 'insert', 'delete', 'truncate'), fc.constantFrom(...alphabet)), { minLength: 1, maxLength: 5 }))
      .map(([seed, edits]) => edits.reduce((s, [at, op, ch]) => {
        const i = at % Math.max(1, s.length);
        return op === 'replace' ? s.slice(0, i) + ch + s.slice(i + 1) : op === 'insert' ? s.slice(0, i) + ch + s.slice(i) : op === 'delete' ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i);
      }, seed));
    const randomJson = fc.jsonValue().map((value) => linkOf({ v: 1, runs: [value] }));
    const randomSettings = fc.dictionary(fc.constantFrom('task', 'adapter', 'prune', 'train', 'largeSparse', '__proto__', 'constructor'), fc.jsonValue()).map((settings) => linkOf({ v: 1, runs: [{ label: 'r', settings }] }));
    const anything = fc.oneof(fc.constantFrom(...seeds), mutation, randomJson, randomSettings, fc.string().map((s) => SHARE_PREFIX + s), fc.string());
    let opened = 0;
    fc.assert(fc.property(anything, (link) => {
      const decoded = decodeShare(link);
      expect(decoded.runs.length > 0 || decoded.problems.length > 0).toBe(true);
      for (const run of decoded.runs) {
        expect(SHAREABLE_TASKS).toContain(run.settings.task);
        expect(ADAPTER_KINDS).toContain(run.settings.adapter.kind);
        expect(run.settings.prune.sparsity).toBeLessThan(1);
        expect(typeof run.label).toBe('string');
      }
      if (decoded.runs.length > 0) opened++;
    }), { numRuns: 1000 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(opened).toBeGreaterThan(0);
  });
});

describe('seed groups in links', () => {
  const settings = defaultRunSettings();
  const run = (seedGroup?: unknown) => ({ label: 'r', settings, ...(seedGroup !== undefined && { seedGroup }) });

  it("carry each run's seed group and count; links from before them load as single runs with no message", () => {
    const decoded = decodeShare(encodeShare([{ label: 'a', settings, results: null, comparison: null, seedGroup: { group: 'seeds-1', seeds: 3 } }]));
    expect(decoded.problems).toEqual([]);
    expect(decoded.runs[0]!.seedGroup).toEqual({ group: 'seeds-1', seeds: 3 });
    const old = decodeShare(linkOf({ v: 1, runs: [run()] }));
    expect(old.problems).toEqual([]);
    expect(old.runs[0]!.seedGroup).toBeUndefined();
    expect(old.runs[0]!.settings).toEqual(settings);
  });

  it('report a malformed seeds count or group and keep the run, as a single run', () => {
    const decoded = decodeShare(linkOf({ v: 1, runs: [run({ group: 'g', seeds: 0 }), run({ group: 'g', seeds: 'three' }), run({ seeds: 2 }), run({ group: 'g' })] }));
    expect(decoded.runs).toHaveLength(4);
    expect(decoded.runs.map((r) => r.seedGroup)).toEqual([undefined, undefined, undefined, undefined]);
    expect(decoded.runs.every((r) => JSON.stringify(r.settings) === JSON.stringify(settings))).toBe(true);
    expect(decoded.problems).toEqual([
      'run 1: seeds 0 is not a whole number from 1 to 20; showing it as a single run',
      'run 2: seeds "three" is not a whole number from 1 to 20; showing it as a single run',
      'run 3: its seed group {"seeds":2} is damaged (no group name); showing it as a single run',
      'run 4: its seed group has no seeds count; showing it as a single run',
    ]);
  });

  it('hold a whole 4-sparsity sweep of 4 seeds with results', () => {
    const results: SharedResults = { status: 'done', seconds: 12.3, budget: { plmParams: 4_000_000, adapterParams: 9000, adapterPrunable: 8000, adapterNonzero: 4000, headParams: 258, trainableNonzero: 5258, percentOfPlm: 0.131 }, dev: { accuracy: 0.61234, macroF1: 0.6011, mcc: 0.2123, count: 1150 }, labels: ['ham', 'spam'], confusion: [[500, 75], [370, 205]], losses: Array.from({ length: 60 }, (_, i) => [i * 5, Number((0.7 - i / 200).toFixed(4))]), evals: Array.from({ length: 5 }, (_, i) => [i * 50, 0.5 + i / 50, 0.49 + i / 60, i / 20]) };
    const runs: SharedRun[] = Array.from({ length: MAX_SHARED_RUNS }, (_, i) => ({ label: `houlsby d=16 ${i}`, settings: { ...settings, train: { ...settings.train, seed: 1 + (i % 4) } }, results, comparison: null, seedGroup: { group: `seeds-${i >> 2}`, seeds: 4 } }));
    expect(MAX_SHARED_RUNS).toBeGreaterThanOrEqual(16);
    const decoded = decodeShare(encodeShare(runs));
    expect(decoded.problems).toEqual([]);
    expect(decoded.runs).toEqual(runs);
  });
});
