// The task head trained with the adapter and never pruned: AdapterHub's classification head
// (dense H→H, activation, dense H→C) on the first ([CLS] / <s>) state for sentence tasks, or one
// dense H→C per token for tagging. The activation is the one the family's own sequence-classification
// model has between its two layers (BERT's pooler and RoBERTa's head: tanh; ELECTRA: GELU; DistilBERT:
// ReLU; families.ts), so that the PEFT export is that model's head. Weights start N(0, 0.02) with zero
// biases, as BERT's heads do.
import * as tf from '@tensorflow/tfjs';
import type { HeadActivation } from './families';
import { gelu } from './ops';
import { normalArray } from './random';

export type HeadKind = 'sequence' | 'token';

/** The head's parameters (tf.Variables, [in, out] layout). */
export interface Head {
  kind: HeadKind;
  numLabels: number;
  /** Between a sentence head's two dense layers. */
  activation: HeadActivation;
  /** `decays`: whether AdamW decays it (the weight matrices, not the biases). */
  variables: { name: string; variable: tf.Variable; decays: boolean }[];
  /** Logits from the last hidden state [B, T, H]: [B, C] for sequence heads, [B·T, C] for token heads. */
  apply(hidden: tf.Tensor3D): tf.Tensor2D;
}

/** Builds a head for `numLabels` classes on a model of width `hiddenSize`. */
export function createHead(kind: HeadKind, hiddenSize: number, numLabels: number, rng: () => number, activation: HeadActivation = 'tanh'): Head {
  if (!Number.isInteger(numLabels) || numLabels < 2) throw new Error(`a task needs at least 2 labels, got ${numLabels}`);
  const H = hiddenSize;
  const v = (name: string, shape: number[], values: Float32Array) => {
    const initial = tf.tensor(values, shape);
    const variable = tf.variable(initial, true);
    initial.dispose(); // the variable holds its own reference to the data
    return { name, variable, decays: shape.length > 1 };
  };
  const variables = kind === 'sequence'
    ? [v('head.dense.weight', [H, H], normalArray(rng, H * H, 0.02)), v('head.dense.bias', [H], new Float32Array(H)), v('head.out.weight', [H, numLabels], normalArray(rng, H * numLabels, 0.02)), v('head.out.bias', [numLabels], new Float32Array(numLabels))]
    : [v('head.out.weight', [H, numLabels], normalArray(rng, H * numLabels, 0.02)), v('head.out.bias', [numLabels], new Float32Array(numLabels))];
  const get = (name: string) => variables.find((x) => x.name === name)!.variable;
  const activate = (x: tf.Tensor) => (activation === 'gelu' ? gelu(x) : activation === 'relu' ? tf.relu(x) : tf.tanh(x));
  return {
    kind,
    numLabels,
    activation,
    variables,
    apply(hidden) {
      const [B, T, Hs] = hidden.shape;
      if (kind === 'sequence') {
        const cls = tf.reshape(tf.slice(hidden, [0, 0, 0], [B, 1, Hs]), [B, Hs]); // [B, H]
        const pooled = activate(tf.add(tf.matMul(cls, get('head.dense.weight')), get('head.dense.bias'))); // [B, H]
        return tf.add(tf.matMul(pooled as tf.Tensor2D, get('head.out.weight')), get('head.out.bias')) as tf.Tensor2D; // [B, C]
      }
      const flat = tf.reshape(hidden, [B * T, Hs]); // [B·T, H]
      return tf.add(tf.matMul(flat, get('head.out.weight')), get('head.out.bias')) as tf.Tensor2D; // [B·T, C]
    },
  };
}

/** Number of head parameters. */
export function countHeadParameters(head: Head): number {
  return head.variables.reduce((sum, v) => sum + v.variable.size, 0);
}
