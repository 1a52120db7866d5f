// Loading Hugging Face BERT folders: names with and without the `bert.` prefix, F16 weights, heads
// that are skipped, and a clear message for each way a folder can be wrong (the other families'
// folders: bert.test.ts's fixtures, and the refusals below). The forward pass itself
// is checked against PyTorch in bert.test.ts.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bertFromSafetensors, loadBertCheckpoint, loadEncoder, parseBertConfig, type LoadProgress, type ReadModelFile } from './checkpoint';
import { disposeBert } from './bert';
import { createRng, normalArray } from './random';
import { CheckpointError, parseSafetensors, writeSafetensors, type TensorToWrite } from './safetensors';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const CONFIG = { architectures: ['BertModel'], model_type: 'bert', vocab_size: 12, hidden_size: 8, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 16, type_vocab_size: 2, layer_norm_eps: 1e-12, hidden_act: 'gelu' };
const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'cat', 'sat', 'on', 'mat', '##s', '.'].join('\n') + '\n';

/** HF tensor names and torch shapes of a BertModel with CONFIG, filled with seeded noise. */
function hfTensors(prefix = '', seed = 1): TensorToWrite[] {
  const rng = createRng(seed);
  const { hidden_size: H, intermediate_size: I, vocab_size: V, max_position_embeddings: P } = CONFIG;
  const spec: [string, number[]][] = [
    ['embeddings.word_embeddings.weight', [V, H]], ['embeddings.position_embeddings.weight', [P, H]], ['embeddings.token_type_embeddings.weight', [2, H]],
    ['embeddings.LayerNorm.weight', [H]], ['embeddings.LayerNorm.bias', [H]],
  ];
  for (let i = 0; i < CONFIG.num_hidden_layers; i++) {
    const l = `encoder.layer.${i}`;
    for (const p of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) spec.push([`${l}.${p}.weight`, [H, H]], [`${l}.${p}.bias`, [H]]);
    spec.push([`${l}.attention.output.LayerNorm.weight`, [H]], [`${l}.attention.output.LayerNorm.bias`, [H]]);
    spec.push([`${l}.intermediate.dense.weight`, [I, H]], [`${l}.intermediate.dense.bias`, [I]], [`${l}.output.dense.weight`, [H, I]], [`${l}.output.dense.bias`, [H]]);
    spec.push([`${l}.output.LayerNorm.weight`, [H]], [`${l}.output.LayerNorm.bias`, [H]]);
  }
  spec.push(['pooler.dense.weight', [H, H]], ['pooler.dense.bias', [H]]);
  return spec.map(([name, shape]) => ({ name: prefix + name, shape, data: normalArray(rng, shape.reduce((a, b) => a * b, 1), 0.5) }));
}

function folder(files: Record<string, string | Uint8Array | undefined>): ReadModelFile {
  return async (name) => {
    const content = files[name];
    if (content === undefined) return null;
    return typeof content === 'string' ? new TextEncoder().encode(content) : content;
  };
}

function goodFolder(overrides: Record<string, string | Uint8Array | undefined> = {}): ReadModelFile {
  return folder({ 'config.json': JSON.stringify(CONFIG), 'vocab.txt': VOCAB, 'model.safetensors': writeSafetensors(hfTensors()), ...overrides });
}

/** Replaces the first occurrence of `from` by `to` (same length) inside the JSON header only. */
function patchHeader(bytes: Uint8Array, from: string, to: string): Uint8Array {
  expect(to.length).toBe(from.length);
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
  expect(header).toContain(from);
  const out = bytes.slice();
  out.set(new TextEncoder().encode(header.replace(from, to)), 8);
  return out;
}

async function loadError(read: ReadModelFile): Promise<CheckpointError> {
  const before = tf.memory().numTensors;
  try {
    await loadBertCheckpoint(read);
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    expect(tf.memory().numTensors).toBe(before); // a failed load frees what it had created
    return error as CheckpointError;
  }
  throw new Error('expected the load to fail');
}

describe('loadBertCheckpoint', () => {
  it('loads every weight, with Linear weights transposed to [in, out]', async () => {
    const tensors = hfTensors();
    const { model, ignoredTensors, tokenizerConfig, vocab } = await loadBertCheckpoint(goodFolder());
    expect(ignoredTensors).toEqual([]);
    expect(tokenizerConfig.doLowerCase).toBe(true);
    expect(vocab.ids.get('cat')).toBe(6);
    expect(model.layers).toHaveLength(2);
    const torchQuery = tensors.find((t) => t.name === 'encoder.layer.1.attention.self.query.weight')!.data; // [out, in]
    const ours = model.layers[1]!.query.w.arraySync(); // [in, out]
    expect(ours[3]![5]).toBe(torchQuery[5 * 8 + 3]);
    const torchOut = tensors.find((t) => t.name === 'encoder.layer.0.output.dense.weight')!.data; // [H, I]
    expect(model.layers[0]!.output.w.shape).toEqual([16, 8]);
    expect(model.layers[0]!.output.w.arraySync()[11]![2]).toBe(torchOut[2 * 16 + 11]);
    expect(model.pooler).not.toBeNull();
  });

  it('accepts the bert. prefix, F16 weights and a masked-LM head, which it lists as ignored', async () => {
    const head: TensorToWrite[] = [{ name: 'cls.predictions.bias', shape: [12], data: new Float32Array(12) }];
    const tensors = [...hfTensors('bert.'), ...head].map((t) => ({ ...t, dtype: 'F16' as const }));
    const { model, ignoredTensors } = await loadBertCheckpoint(goodFolder({ 'model.safetensors': writeSafetensors(tensors) }));
    expect(ignoredTensors).toEqual(['cls.predictions.bias']);
    const reference = hfTensors()[0]!.data; // word embeddings, float32
    const loaded = model.embeddings.word.dataSync();
    for (let i = 0; i < reference.length; i++) expect(Math.abs((loaded[i] ?? NaN) - (reference[i] ?? 0))).toBeLessThanOrEqual(Math.abs(reference[i] ?? 0) * 2 ** -11);
  });

  it('reads do_lower_case from tokenizer_config.json', async () => {
    const { tokenizerConfig } = await loadBertCheckpoint(goodFolder({ 'tokenizer_config.json': '{"do_lower_case": false}' }));
    expect(tokenizerConfig.doLowerCase).toBe(false);
  });
});

describe('a broken model folder names the file and the problem', () => {
  const drop = (name: string) => writeSafetensors(hfTensors().filter((t) => t.name !== name));
  it('a missing file', async () => {
    expect((await loadError(goodFolder({ 'vocab.txt': undefined }))).message).toBe('vocab.txt: is missing: a BERT, DistilBERT or ELECTRA folder needs config.json, model.safetensors and vocab.txt');
  });
  it('a missing tensor', async () => {
    expect((await loadError(goodFolder({ 'model.safetensors': drop('encoder.layer.1.output.dense.bias') }))).message).toBe('model.safetensors: missing tensor encoder.layer.1.output.dense.bias (a BERT checkpoint without the bert. prefix has it)');
  });
  it('an extra tensor', async () => {
    const extra = writeSafetensors([...hfTensors(), { name: 'encoder.layer.2.output.dense.bias', shape: [8], data: new Float32Array(8) }]);
    expect((await loadError(goodFolder({ 'model.safetensors': extra }))).message).toMatch(/^model\.safetensors: unexpected tensor encoder\.layer\.2\.output\.dense\.bias: it is not part of a 2-layer BERT encoder/);
  });
  it('a wrong shape', async () => {
    const tensors = hfTensors().map((t) => (t.name === 'encoder.layer.0.intermediate.dense.weight' ? { ...t, shape: [8, 16] } : t));
    expect((await loadError(goodFolder({ 'model.safetensors': writeSafetensors(tensors) }))).message).toBe('model.safetensors: tensor encoder.layer.0.intermediate.dense.weight has shape [8,16], expected [16,8] from config.json');
  });
  it('an unknown dtype', async () => {
    const patched = patchHeader(writeSafetensors(hfTensors()), '"dtype":"F32"', '"dtype":"Q32"');
    expect((await loadError(goodFolder({ 'model.safetensors': patched }))).message).toMatch(/^model\.safetensors: tensor .*: unknown dtype "Q32"$/);
  });
  it('a truncated file', async () => {
    const bytes = writeSafetensors(hfTensors());
    expect((await loadError(goodFolder({ 'model.safetensors': bytes.subarray(0, bytes.length - 100) }))).message).toMatch(/^model\.safetensors: truncated: tensor pooler\.dense\.weight ends/);
  });
  it('a header that lies about offsets', async () => {
    const patched = patchHeader(writeSafetensors(hfTensors()), '"data_offsets":[0,', '"data_offsets":[4,');
    expect((await loadError(goodFolder({ 'model.safetensors': patched }))).problem).toMatch(/the header lies about its size/);
  });
  it('an architecture that does not load, named', async () => {
    const loads = 'only encoders of types "bert", "roberta", "distilbert", "electra" load (T5 and other encoder-decoders are out of scope)';
    const withConfig = (patch: Record<string, unknown>) => goodFolder({ 'config.json': JSON.stringify({ ...CONFIG, ...patch }) });
    expect((await loadError(withConfig({ model_type: 't5', architectures: ['T5ForConditionalGeneration'] }))).message).toBe(`config.json: model_type is "t5": T5 is an encoder-decoder model, out of scope here; ${loads}`);
    expect((await loadError(withConfig({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] }))).message).toBe(`config.json: model_type is "gpt2": GPT-2 is a decoder-only model, out of scope here; ${loads}`);
    expect((await loadError(withConfig({ model_type: 'mystery' }))).message).toBe(`config.json: model_type is "mystery"; ${loads}`);
    expect((await loadError(withConfig({ model_type: undefined, architectures: ['GPT2LMHeadModel'] }))).message).toBe('config.json: architectures ["GPT2LMHeadModel"] is not a BERT architecture (model_type "bert")');
    expect((await loadError(withConfig({ model_type: 'roberta', architectures: ['BertModel'] }))).message).toBe('config.json: architectures ["BertModel"] is not a RoBERTa architecture (model_type "roberta")');
  });
  it('a RoBERTa config with a BERT checkpoint names the first tensor it lacks', async () => {
    const config = JSON.stringify({ ...CONFIG, model_type: 'roberta', architectures: ['RobertaModel'], max_position_embeddings: 18, pad_token_id: 1 });
    const tensors = hfTensors('bert.').map((t) => (t.name.includes('position_embeddings') ? { ...t, shape: [18, 8], data: new Float32Array(18 * 8) } : t));
    expect((await loadError(goodFolder({ 'config.json': config, 'model.safetensors': writeSafetensors(tensors) }))).message).toMatch(/^model\.safetensors: missing tensor embeddings\.word_embeddings\.weight \(a RoBERTa checkpoint without the roberta\. prefix has it\)$/);
  });
  it('a config that is not JSON or lacks sizes', async () => {
    expect((await loadError(goodFolder({ 'config.json': '{"hidden_size": 8,' }))).message).toMatch(/^config\.json: is not valid JSON/);
    expect((await loadError(goodFolder({ 'config.json': JSON.stringify({ ...CONFIG, hidden_size: undefined }) }))).message).toBe('config.json: hidden_size must be a positive integer, got undefined');
  });
  it('a vocabulary without the special tokens, or a bad tokenizer_config.json', async () => {
    expect((await loadError(goodFolder({ 'vocab.txt': 'the\ncat\n' }))).message).toMatch(/^vocab\.txt: the vocabulary lacks the special tokens \[UNK\], \[CLS\], \[SEP\], \[PAD\]/);
    expect((await loadError(goodFolder({ 'tokenizer_config.json': '{"do_lower_case": "yes"}' }))).message).toBe('tokenizer_config.json: do_lower_case must be true or false, got "yes"');
  });
  it('a vocabulary larger than the embedding table', async () => {
    expect((await loadError(goodFolder({ 'vocab.txt': VOCAB + 'extra\n' }))).message).toBe("vocab.txt: has 13 tokens but config.json's vocab_size is 12");
  });
});

describe('a model larger than the GPU\'s buffers', () => {
  // The largest tensors here hold 128 floats = 512 bytes (position table 16 × 8, first in the file; intermediate weights 16 × 8).
  const limits = (bytes: number) => ({ maxStorageBufferBindingSize: bytes, maxBufferSize: 1 << 30 });
  it('is refused before any upload, naming the tensor, its size and the limit', async () => {
    const before = tf.memory().numTensors;
    const error = await loadEncoder(goodFolder(), undefined, limits(511)).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toBe("model.safetensors: tensor embeddings.position_embeddings.weight needs 512 bytes as float32, more than this GPU's largest buffer (511 bytes): the model cannot run on WebGPU here; choose the WASM or CPU backend");
    expect(tf.memory().numTensors).toBe(before);
  });
  it('the smaller of the two limits counts, F16 weights count as float32, and a model that fits loads', async () => {
    const f16 = writeSafetensors(hfTensors().map((t) => ({ ...t, dtype: 'F16' as const })));
    await expect(loadEncoder(goodFolder({ 'model.safetensors': f16 }), undefined, { maxStorageBufferBindingSize: 1 << 30, maxBufferSize: 300 })).rejects.toThrow(/needs 512 bytes as float32, more than this GPU's largest buffer \(300 bytes\)/);
    const loaded = await loadEncoder(goodFolder({ 'model.safetensors': f16 }), undefined, limits(512));
    expect(loaded.model.layers).toHaveLength(2);
    disposeBert(loaded.model);
  });
});

describe('parseBertConfig', () => {
  it('maps Hugging Face names and defaults', () => {
    expect(parseBertConfig(JSON.stringify({ ...CONFIG, layer_norm_eps: undefined, type_vocab_size: undefined }))).toEqual({
      modelType: 'bert', vocabSize: 12, hiddenSize: 8, embeddingSize: 8, numLayers: 2, numHeads: 2, intermediateSize: 16, maxPositions: 16, positionRows: 16,
      positionIds: 'absolute', typeVocabSize: 2, hiddenAct: 'gelu', layerNormEps: 1e-12, padTokenId: 0,
    });
  });
  it('reads DistilBERT\'s own keys (dim, n_layers, n_heads, hidden_dim, activation), with or without model_type', () => {
    const distil = { vocab_size: 12, dim: 8, n_layers: 3, n_heads: 2, hidden_dim: 16, max_position_embeddings: 20, activation: 'relu' };
    const expected = { modelType: 'distilbert', hiddenSize: 8, numLayers: 3, numHeads: 2, intermediateSize: 16, maxPositions: 20, typeVocabSize: 0, hiddenAct: 'relu', layerNormEps: 1e-12 };
    expect(parseBertConfig(JSON.stringify({ ...distil, model_type: 'distilbert', architectures: ['DistilBertModel'] }))).toMatchObject(expected);
    expect(parseBertConfig(JSON.stringify(distil))).toMatchObject(expected);
    expect(() => parseBertConfig(JSON.stringify({ ...distil, activation: 'swish' }))).toThrow('activation "swish" is not supported (only the exact "gelu" or "relu")');
    expect(() => parseBertConfig(JSON.stringify({ ...CONFIG, hidden_act: 'relu' }))).toThrow('hidden_act "relu" is not supported (only the exact "gelu")');
  });
});

describe('loading progress', () => {
  it('reports the weights read (ending at the file size, even from a reader that says nothing) and every tensor made, ending complete', async () => {
    const file = writeSafetensors(hfTensors());
    const seen: LoadProgress[] = [];
    const loaded = await loadEncoder(goodFolder({ 'model.safetensors': file }), undefined, null, (p) => seen.push(p));
    disposeBert(loaded.model);
    const reading = seen.filter((p) => p.stage === 'reading');
    expect(reading).toEqual([{ stage: 'reading', file: 'model.safetensors', bytes: file.length, totalBytes: file.length }]);
    const making = seen.filter((p): p is Extract<LoadProgress, { stage: 'uploading' }> => p.stage === 'uploading');
    const floats = hfTensors().reduce((n, t) => n + t.data.length, 0);
    expect(making.at(-1)).toEqual({ stage: 'uploading', tensors: hfTensors().length, totalTensors: hfTensors().length, bytes: 4 * floats, totalBytes: 4 * floats });
    // One event per tensor read, then the last; the counts only grow.
    expect(making).toHaveLength(hfTensors().length + 1);
    making.slice(1).forEach((p, i) => expect(p.bytes).toBeGreaterThanOrEqual(making[i]!.bytes));
    expect(seen.indexOf(reading[0]!)).toBe(0);
  });
});

describe('F16 weights', () => {
  it('are expanded to float32 once per tensor (each tensor read once while the encoder is built)', () => {
    const config = parseBertConfig(JSON.stringify(CONFIG));
    const file = parseSafetensors(writeSafetensors(hfTensors().map((t) => ({ ...t, dtype: 'F16' as const }))));
    const expanded = new Map<string, number>();
    const read = file.readFloat32.bind(file);
    file.readFloat32 = (name: string) => {
      expanded.set(name, (expanded.get(name) ?? 0) + 1);
      return read(name);
    };
    const { model } = bertFromSafetensors(config, file);
    disposeBert(model);
    expect([...expanded.keys()].sort()).toEqual(hfTensors().map((t) => t.name).sort());
    expect([...expanded.values()].every((n) => n === 1)).toBe(true);
  });
});
