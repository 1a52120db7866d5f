// A BERT checkpoint at bert-base-uncased's sizes (768 hidden, 3,072 FFN, 12 heads, 30,522-token embedding,
// 512 positions), written with seeded random weights into a temporary folder: the real-size test and
// `bench --real-size` use it instead of a 440 MB file in the repository. Layers are a parameter (CI uses one).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng, normalArray } from '../engine/random';
import { parseSafetensors, writeSafetensors } from '../engine/safetensors';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BERT_BASE_SHAPE = { hiddenSize: 768, intermediateSize: 3072, heads: 12, vocabSize: 30522, positions: 512, layers: 12 } as const;

/** bert-base's encoder parameters with `layers` layers (embeddings, LayerNorms, layers, pooler), from its shapes. */
export function bertBaseParameters(layers: number): number {
  const { hiddenSize: H, intermediateSize: I, vocabSize: V, positions: P } = BERT_BASE_SHAPE;
  const layer = 4 * (H * H + H) + 2 * H + H * I + I + I * H + H + 2 * H;
  return V * H + P * H + 2 * H + 2 * H + layers * layer + H * H + H;
}

/**
 * Writes config.json, model.safetensors (F32, N(0, 0.02) weights, LayerNorm 1/0, biases 0) and the default
 * model's WordPiece vocabulary (8,000 ids, all below the embedding's rows) to a new temporary folder, and returns it.
 * The tensors are the tiny fixture's, each dimension mapped to bert-base's by what it is.
 */
export function writeBertBaseShapedFolder(layers: number, seed = 5): string {
  const dir = mkdtempSync(join(tmpdir(), 'bert-base-shaped-'));
  const tiny = JSON.parse(readFileSync(join(ROOT, 'src/engine/fixtures/tiny-bert/config.json'), 'utf8')) as Record<string, number>;
  const { hiddenSize: H, intermediateSize: I, vocabSize: V, positions: P } = BERT_BASE_SHAPE;
  // By name: the tiny fixture's sizes collide (its intermediate size and position count are both 64).
  const shapeOf = (name: string, shape: number[]) =>
    /word_embeddings/.test(name) ? [V, H]
      : /position_embeddings/.test(name) ? [P, H]
        : /token_type_embeddings/.test(name) ? [2, H]
          : /intermediate\.dense\.weight$/.test(name) ? [I, H]
            : /intermediate\.dense\.bias$/.test(name) ? [I]
              : /layer\.\d+\.output\.dense\.weight$/.test(name) ? [H, I]
                : shape.map((d) => (d === tiny.hidden_size ? H : d));
  const file = parseSafetensors(new Uint8Array(readFileSync(join(ROOT, 'src/engine/fixtures/tiny-bert/model.safetensors'))));
  const layerOf = (name: string) => /layer\.(\d+)\./.exec(name)?.[1];
  const template = [...file.tensors.entries()];
  const tinyLayers = Number(tiny.num_hidden_layers);
  // Layers beyond the fixture's repeat its layer 0's names with their own index.
  const names: [string, number[]][] = [];
  for (const [name, info] of template) {
    const l = layerOf(name);
    if (l === undefined) names.push([name, info.shape]);
    else if (Number(l) === 0) for (let i = 0; i < layers; i++) names.push([name.replace(/layer\.0\./, `layer.${i}.`), info.shape]);
    else if (Number(l) >= tinyLayers) throw new Error(`unexpected layer in the fixture: ${name}`);
  }
  const rng = createRng(seed);
  const tensors = names.map(([name, tinyShape]) => {
    const shape = shapeOf(name, tinyShape);
    const size = shape.reduce((a, b) => a * b, 1);
    const data = /LayerNorm\.weight$/.test(name) ? new Float32Array(size).fill(1) : /bias$/.test(name) ? new Float32Array(size) : normalArray(rng, size, 0.02);
    return { name, shape, data };
  });
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(tensors));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...tiny, vocab_size: V, hidden_size: H, num_hidden_layers: layers, num_attention_heads: BERT_BASE_SHAPE.heads, intermediate_size: I, max_position_embeddings: P }));
  writeFileSync(join(dir, 'vocab.txt'), readFileSync(join(ROOT, 'public/models/default/vocab.txt')));
  return dir;
}
