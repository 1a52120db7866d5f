import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAdapters, defaultAdapterOptions, disposeAdapters } from './adapters';
import { createHead } from './head';
import { adapterHubName, exportForLibrary, exportZipForLibrary, pythonFloorDiv, reductionFactor } from './interop';
import type { Plm } from './plm';
import { createRng } from './random';
import { parseSafetensors } from './safetensors';
import { archExportInputsJson, buildArchExportCases, type ArchExportCase } from './testing/archExportFixture';
import { buildInteropCases, INTEROP_CASES, interopInputsJson, type InteropCase } from './testing/interopFixture';
import { loadTinyPlm } from './testing/tinyModel';

const FIXTURES = fileURLToPath(new URL('./fixtures/interop/', import.meta.url));
const committed = (...parts: string[]) => new Uint8Array(readFileSync(join(FIXTURES, ...parts)));

describe('pythonFloorDiv', () => {
  it('equals CPython\'s float // (values printed by /usr/bin/python3)', () => {
    // a, b, a // b as CPython computes them; Math.floor(a / b) is wrong for the first and seventh.
    const cases: [number, number, number][] = [
      [1, 0.1, 9], [128, 128 / 48, 48], [768, 768 / 7, 7], [32, 32 / 6, 6], [5, 0.5, 10], [7, 2, 3],
      [0.3, 0.1, 2], [100, 3.3, 30], [1e16, 3, 3333333333333333], [-7, 2, -4], [7, -2, -4], [2, 1 / 3, 6],
    ];
    for (const [a, b, expected] of cases) expect(pythonFloorDiv(a, b), `${a} // ${b}`).toBe(expected);
  });

  it('reductionFactor gives every bottleneck width exactly, for the usual hidden sizes', () => {
    for (const H of [32, 64, 128, 256, 384, 768, 1024]) {
      for (let d = 1; d <= H; d++) expect(pythonFloorDiv(H, reductionFactor(H, d)), `H ${H}, d ${d}`).toBe(d);
    }
    expect(reductionFactor(128, 8)).toBe(16); // whole factors stay whole numbers in the JSON
  });
});

describe('adapterHubName', () => {
  it('keeps letters, digits and underscores, and starts with a letter', () => {
    expect(adapterHubName('Houlsby d=16 · SNIP 50%')).toBe('houlsby_d_16_snip_50');
    expect(adapterHubName('3 runs')).toBe('adapter_3_runs');
    expect(adapterHubName('...')).toBe('adapter');
  });
});

describe('AdapterHub and PEFT exports', () => {
  let plm: Plm;
  let cases: InteropCase[];
  beforeAll(async () => {
    await tf.setBackend('cpu');
    plm = await loadTinyPlm();
    cases = await buildInteropCases(plm);
  });

  it('rebuilds the committed fixtures byte for byte (regenerate: npx tsx scripts/interop/make-fixtures.ts)', () => {
    for (const k of cases) {
      for (const f of k.files) expect(Buffer.from(f.data).equals(Buffer.from(committed(k.spec.name, f.name))), `${k.spec.name}/${f.name}`).toBe(true);
    }
    expect(interopInputsJson(cases)).toBe(readFileSync(join(FIXTURES, 'inputs.json'), 'utf8'));
  });

  it('gives the logits that PyTorch computes after loading each folder the way its library does', () => {
    // python_logits.json is written by scripts/interop/check_exports.py (PyTorch, offline).
    const python = JSON.parse(readFileSync(join(FIXTURES, 'python_logits.json'), 'utf8')) as Record<string, { logits: number[][]; keys: string[] }>;
    expect(Object.keys(python).sort()).toEqual(INTEROP_CASES.map((c) => c.name).sort());
    for (const k of cases) {
      const reference = python[k.spec.name]!;
      expect(reference.logits.length, k.spec.name).toBe(k.logits.length);
      let worst = 0;
      k.logits.forEach((row, i) => row.forEach((x, j) => { worst = Math.max(worst, Math.abs(x - reference.logits[i]![j]!)); }));
      expect(worst, `${k.spec.name}: max |TS − PyTorch|`).toBeLessThan(1e-4);
      // The logits differ between classes and examples: a constant output would prove nothing.
      expect(new Set(k.logits.flat().map((x) => x.toFixed(3))).size, k.spec.name).toBeGreaterThan(k.logits.length);
    }
  });

  it('writes AdapterHub\'s parameter names and torch shapes, pruned entries as +0 and masks beside them', () => {
    const k = cases.find((c) => c.spec.name === 'houlsby')!;
    const file = (name: string) => k.files.find((f) => f.name === name)!.data;
    const weights = parseSafetensors(file('adapter.safetensors'));
    const masks = parseSafetensors(file('sparsity_masks.safetensors'));
    const name = 'sparse_houlsby';
    const expected: string[] = [];
    for (let layer = 0; layer < 2; layer++) {
      for (const site of ['attention.output', 'output']) {
        const base = `bert.encoder.layer.${layer}.${site}.adapters.${name}`;
        expected.push(`${base}.adapter_down.0.weight`, `${base}.adapter_down.0.bias`, `${base}.adapter_up.weight`, `${base}.adapter_up.bias`);
      }
    }
    expect([...weights.tensors.keys()].sort()).toEqual(expected.sort());
    expect(weights.tensors.get(`bert.encoder.layer.0.output.adapters.${name}.adapter_down.0.weight`)!.shape).toEqual([6, 32]);
    expect(weights.tensors.get(`bert.encoder.layer.0.output.adapters.${name}.adapter_up.weight`)!.shape).toEqual([32, 6]);
    expect(weights.metadata).toEqual({ format: 'pt' });
    // Masks exist for the weight matrices (biases are not pruned by default) and zero exactly the pruned entries.
    expect([...masks.tensors.keys()].sort()).toEqual(expected.filter((n) => n.endsWith('.weight')).sort());
    for (const tensor of masks.tensors.keys()) {
      const m = masks.readBytes(tensor);
      const w = weights.readFloat32(tensor);
      expect(m.some((x) => x === 0) && m.some((x) => x === 1), tensor).toBe(true);
      m.forEach((keep, i) => { if (keep === 0) expect(Object.is(w[i], 0), `${tensor}[${i}]`).toBe(true); });
    }
    const config = JSON.parse(new TextDecoder().decode(file('adapter_config.json'))) as { config: Record<string, unknown>; name: string; model_class: string; version: string };
    expect(config.name).toBe(name);
    expect(config.model_class).toBe('BertAdapterModel');
    expect(config.config).toMatchObject({ mh_adapter: true, output_adapter: true, non_linearity: 'swish', original_ln_before: false, is_parallel: false });
    // Python reads scaling as a float only if the JSON has a decimal point ("Unknown scaling type: 1" otherwise).
    expect(new TextDecoder().decode(file('adapter_config.json'))).toMatch(/"scaling": 1\.0,/);
    const head = parseSafetensors(file('model_head.safetensors'));
    expect([...head.tensors.keys()].sort()).toEqual([`heads.${name}.1.bias`, `heads.${name}.1.weight`, `heads.${name}.4.bias`, `heads.${name}.4.weight`]);
    expect(head.tensors.get(`heads.${name}.4.weight`)!.shape).toEqual([3, 32]);
  });

  it('writes PEFT\'s names: lora_A [r, in], lora_B [out, r], and the head as modules_to_save', () => {
    const k = cases.find((c) => c.spec.name === 'lora')!;
    const weights = parseSafetensors(k.files.find((f) => f.name === 'adapter_model.safetensors')!.data);
    const names = [...weights.tensors.keys()];
    expect(names).toContain('base_model.model.bert.encoder.layer.1.attention.self.value.lora_A.weight');
    expect(weights.tensors.get('base_model.model.bert.encoder.layer.1.attention.self.value.lora_A.weight')!.shape).toEqual([4, 32]);
    expect(weights.tensors.get('base_model.model.bert.encoder.layer.1.attention.self.value.lora_B.weight')!.shape).toEqual([32, 4]);
    expect(names.filter((n) => !n.includes('.lora_')).sort()).toEqual(['base_model.model.bert.pooler.dense.bias', 'base_model.model.bert.pooler.dense.weight', 'base_model.model.classifier.bias', 'base_model.model.classifier.weight']);
    const config = JSON.parse(new TextDecoder().decode(k.files.find((f) => f.name === 'adapter_config.json')!.data)) as Record<string, unknown>;
    expect(config).toMatchObject({ peft_type: 'LORA', task_type: 'SEQ_CLS', r: 4, lora_alpha: 6, target_modules: ['query', 'value'], modules_to_save: ['pooler', 'classifier'] });
    const token = cases.find((c) => c.spec.name === 'lora-token')!;
    const tokenNames = [...parseSafetensors(token.files.find((f) => f.name === 'adapter_model.safetensors')!.data).tensors.keys()];
    expect(tokenNames.filter((n) => !n.includes('.lora_')).sort()).toEqual(['base_model.model.classifier.bias', 'base_model.model.classifier.weight']);
  });

  it('zips the folder with fixed timestamps, and refuses prefix-tuning and MAM with a reason', async () => {
    const c = plm.model.config;
    const adapters = createAdapters(c, { ...defaultAdapterOptions('pfeiffer'), dim: 4 }, createRng(3));
    const head = createHead('sequence', c.hiddenSize, 2, createRng(4));
    try {
      const info = { modelName: 'tiny-bert', adapterName: 'Pfeiffer run', labels: ['x', 'y'], hiddenSize: c.hiddenSize, modelType: c.modelType };
      const first = await exportZipForLibrary(adapters, head, new Map(), info);
      const second = await exportZipForLibrary(adapters, head, new Map(), info);
      expect(first.folder).toBe('pfeiffer_run-adapterhub');
      expect(Buffer.from(first.bytes).equals(Buffer.from(second.bytes))).toBe(true);
      expect(Object.keys(unzipSync(first.bytes)).sort()).toEqual(['README.md', 'adapter.safetensors', 'adapter_config.json', 'head_config.json', 'model_head.safetensors', 'sparsity_masks.safetensors'].map((f) => `pfeiffer_run-adapterhub/${f}`).sort());
    } finally {
      disposeAdapters(adapters);
      head.variables.forEach((v) => v.variable.dispose());
    }
    // The parallel adapter's default scale 4 must reach Python as 4.0 (an int is "Unknown scaling type").
    const parallel = createAdapters(c, defaultAdapterOptions('parallel'), createRng(7));
    const parallelHead = createHead('token', c.hiddenSize, 3, createRng(8));
    const files = await exportForLibrary(parallel, parallelHead, new Map(), { modelName: 'm', adapterName: 'p', labels: ['x', 'y', 'z'], hiddenSize: c.hiddenSize, modelType: c.modelType });
    const configText = new TextDecoder().decode(files.find((f) => f.name === 'adapter_config.json')!.data);
    expect(configText).toMatch(/"scaling": 4\.0,/);
    expect(JSON.parse(configText)).toMatchObject({ config: { is_parallel: true, reduction_factor: 2 } }); // 32 / 16
    disposeAdapters(parallel);
    parallelHead.variables.forEach((v) => v.variable.dispose());
    for (const kind of ['prefix', 'mam'] as const) {
      const other = createAdapters(c, defaultAdapterOptions(kind), createRng(5));
      const otherHead = createHead('sequence', c.hiddenSize, 2, createRng(6));
      await expect(exportForLibrary(other, otherHead, new Map(), { modelName: 'm', adapterName: 'a', labels: ['x', 'y'], hiddenSize: c.hiddenSize, modelType: c.modelType })).rejects.toThrow(`${kind} adapters have no AdapterHub or PEFT export`);
      disposeAdapters(other);
      otherHead.variables.forEach((v) => v.variable.dispose());
    }
  });
});

// Each family's names, written out here from the libraries' sources (not from families.ts):
// adapters' models/{bert,roberta,electra}/modeling_*.py reuse BertSelfOutput/BertOutput as the
// bottleneck layers (…attention.output.adapters.NAME, …output.adapters.NAME) and its
// models/distilbert/mixin_distilbert.py puts attention_adapters / output_adapters on TransformerBlock;
// the AdapterModel classes keep the encoder as .bert / .roberta / .distilbert / .electra. PEFT's
// utils/constants.py targets query/value for bert, roberta and electra and has no default for
// distilbert (our adapter_config.json names q_lin/v_lin). Heads: transformers'
// RobertaClassificationHead (dense, tanh, out_proj), ElectraClassificationHead (dense, GELU,
// out_proj), DistilBertForSequenceClassification (pre_classifier, ReLU, classifier).
describe('the exports use each architecture\'s own names', () => {
  const shape = { hiddenSize: 32, numLayers: 2 };
  const exported = async (modelType: 'roberta' | 'distilbert' | 'electra', kind: 'lora' | 'houlsby' | 'parallel', headKind: 'sequence' | 'token', activation: 'tanh' | 'gelu' | 'relu') => {
    const adapters = createAdapters(shape, { ...defaultAdapterOptions(kind), dim: 4 }, createRng(11));
    const head = createHead(headKind, 32, 2, createRng(12), activation);
    try {
      const files = await exportForLibrary(adapters, head, new Map(), { modelName: `tiny-${modelType}`, adapterName: 'run', labels: ['a', 'b'], hiddenSize: 32, modelType });
      const file = (name: string) => files.find((f) => f.name === name)!.data;
      const names = (name: string) => [...parseSafetensors(file(name)).tensors.keys()].sort();
      const json = (name: string) => JSON.parse(new TextDecoder().decode(file(name))) as Record<string, unknown>;
      return { names, json, readme: new TextDecoder().decode(file('README.md')) };
    } finally {
      disposeAdapters(adapters);
      head.variables.forEach((v) => v.variable.dispose());
    }
  };
  const lora = (base: (l: number) => string, q: string, v: string) => [0, 1].flatMap((l) => [q, v].flatMap((m) => [`${base(l)}.${m}.lora_A.weight`, `${base(l)}.${m}.lora_B.weight`]));

  it('PEFT: RoBERTa and ELECTRA on query/value with their classifier.dense/out_proj, DistilBERT on q_lin/v_lin with pre_classifier', async () => {
    const roberta = await exported('roberta', 'lora', 'sequence', 'tanh');
    expect(roberta.names('adapter_model.safetensors')).toEqual([
      ...lora((l) => `base_model.model.roberta.encoder.layer.${l}.attention.self`, 'query', 'value'),
      'base_model.model.classifier.dense.bias', 'base_model.model.classifier.dense.weight', 'base_model.model.classifier.out_proj.bias', 'base_model.model.classifier.out_proj.weight',
    ].sort());
    expect(roberta.json('adapter_config.json')).toMatchObject({ target_modules: ['query', 'value'], modules_to_save: ['classifier'], task_type: 'SEQ_CLS' });
    expect(roberta.readme).toContain('RoBERTa');

    const electra = await exported('electra', 'lora', 'sequence', 'gelu');
    expect(electra.names('adapter_model.safetensors')).toEqual([
      ...lora((l) => `base_model.model.electra.encoder.layer.${l}.attention.self`, 'query', 'value'),
      'base_model.model.classifier.dense.bias', 'base_model.model.classifier.dense.weight', 'base_model.model.classifier.out_proj.bias', 'base_model.model.classifier.out_proj.weight',
    ].sort());
    expect(electra.json('adapter_config.json')).toMatchObject({ target_modules: ['query', 'value'], modules_to_save: ['classifier'] });

    const distil = await exported('distilbert', 'lora', 'sequence', 'relu');
    expect(distil.names('adapter_model.safetensors')).toEqual([
      ...lora((l) => `base_model.model.distilbert.transformer.layer.${l}.attention`, 'q_lin', 'v_lin'),
      'base_model.model.classifier.bias', 'base_model.model.classifier.weight', 'base_model.model.pre_classifier.bias', 'base_model.model.pre_classifier.weight',
    ].sort());
    expect(distil.json('adapter_config.json')).toMatchObject({ target_modules: ['q_lin', 'v_lin'], modules_to_save: ['pre_classifier', 'classifier'] });
    expect(distil.readme).toContain('q_lin and v_lin');

    const tagging = await exported('distilbert', 'lora', 'token', 'relu');
    expect(tagging.names('adapter_model.safetensors').filter((n) => !n.includes('.lora_'))).toEqual(['base_model.model.classifier.bias', 'base_model.model.classifier.weight']);
    expect(tagging.json('adapter_config.json')).toMatchObject({ modules_to_save: ['classifier'], task_type: 'TOKEN_CLS' });
  });

  it('PEFT refuses a sentence head whose activation is not the task model\'s (it would not be that head)', async () => {
    await expect(exported('electra', 'lora', 'sequence', 'tanh')).rejects.toThrow("the head uses tanh but ELECTRA's sequence-classification head uses gelu");
  });

  it('AdapterHub: roberta./electra.encoder.layer.N.{attention.output,output}, DistilBERT\'s transformer.layer.N.{attention,output}_adapters; model classes and head activation', async () => {
    const bottleneck = (base: string) => [`${base}.adapter_down.0.bias`, `${base}.adapter_down.0.weight`, `${base}.adapter_up.bias`, `${base}.adapter_up.weight`];
    for (const [modelType, modelClass, activation] of [['roberta', 'RobertaAdapterModel', 'tanh'], ['electra', 'ElectraAdapterModel', 'gelu']] as const) {
      const houlsby = await exported(modelType, 'houlsby', 'sequence', activation);
      expect(houlsby.names('adapter.safetensors')).toEqual([0, 1].flatMap((l) => ['attention.output', 'output'].flatMap((site) => bottleneck(`${modelType}.encoder.layer.${l}.${site}.adapters.run`))).sort());
      expect(houlsby.json('adapter_config.json')).toMatchObject({ model_class: modelClass, model_type: modelType });
      expect(houlsby.json('head_config.json')).toMatchObject({ model_class: modelClass, config: { head_type: 'classification', activation_function: activation } });
      expect(houlsby.readme).toContain(`from adapters import ${modelClass}`);
    }
    const distil = await exported('distilbert', 'houlsby', 'sequence', 'relu');
    expect(distil.names('adapter.safetensors')).toEqual([0, 1].flatMap((l) => ['attention_adapters', 'output_adapters'].flatMap((site) => bottleneck(`distilbert.transformer.layer.${l}.${site}.adapters.run`))).sort());
    expect(distil.json('adapter_config.json')).toMatchObject({ model_class: 'DistilBertAdapterModel', model_type: 'distilbert' });
    expect(distil.json('head_config.json')).toMatchObject({ config: { activation_function: 'relu' } });
    const parallel = await exported('distilbert', 'parallel', 'token', 'relu');
    expect(parallel.names('adapter.safetensors')).toEqual([0, 1].flatMap((l) => bottleneck(`distilbert.transformer.layer.${l}.output_adapters.adapters.run`)).sort());
  });
});

describe('the other families\' PEFT and AdapterHub folders load in PyTorch as their libraries load them', () => {
  const DIR = fileURLToPath(new URL('./fixtures/interop-arch/', import.meta.url));
  let built: ArchExportCase[];
  beforeAll(async () => {
    await tf.setBackend('cpu');
    built = await buildArchExportCases();
  });

  it('rebuilds the committed folders byte for byte (regenerate: npx tsx scripts/fixtures/make-arch-exports.ts)', () => {
    for (const k of built) {
      for (const f of k.files) expect(Buffer.from(f.data).equals(readFileSync(join(DIR, k.name, f.name))), `${k.name}/${f.name}`).toBe(true);
    }
    expect(archExportInputsJson(built)).toBe(readFileSync(join(DIR, 'inputs.json'), 'utf8'));
  });

  it('gives the logits that scripts/fixtures/check_arch_exports.py computes from each folder, within 1e-4', () => {
    const python = JSON.parse(readFileSync(join(DIR, 'python_logits.json'), 'utf8')) as Record<string, number[][]>;
    expect(Object.keys(python).sort()).toEqual(built.map((k) => k.name).sort());
    for (const k of built) {
      const theirs = python[k.name]!;
      expect(theirs).toHaveLength(k.logits.length);
      k.logits.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - theirs[i]![j]!), `${k.name}[${i}][${j}]`).toBeLessThanOrEqual(1e-4)));
    }
  });
});
