// Turns what the user chose (`RunSettings`, see settings.ts) into the `RunConfig` the trainer runs:
// ranges are checked and Large-Sparse is applied (k× the dimension at sparsity 1 − (1 − s)/k).
import { largeSparse } from './budget';
import type { RunSettings } from './settings';
import type { RunConfig } from './train';

export { defaultRunSettings, mergeSettings, type RunOverrides, type RunSettings } from './settings';

/** Checks ranges and applies Large-Sparse; throws a message naming the bad setting. */
export function resolveRun(settings: RunSettings): RunConfig {
  const { prune, train } = settings;
  if (!(prune.sparsity >= 0 && prune.sparsity < 1)) throw new Error(`sparsity must be in [0, 1), got ${prune.sparsity}`);
  if (!Number.isInteger(prune.rounds) || prune.rounds < 1) throw new Error(`rounds must be a positive integer, got ${prune.rounds}`);
  if (!Number.isInteger(train.steps) || train.steps < 1) throw new Error(`steps must be a positive integer, got ${train.steps}`);
  if (!Number.isInteger(train.batchSize) || train.batchSize < 1) throw new Error(`batch size must be a positive integer, got ${train.batchSize}`);
  if (!(train.learningRate > 0)) throw new Error(`learning rate must be positive, got ${train.learningRate}`);
  if (settings.largeSparse === 1) return { adapter: settings.adapter, prune, train };
  const large = largeSparse(settings.adapter, prune.sparsity, settings.largeSparse);
  return { adapter: large.options, prune: { ...prune, sparsity: large.sparsity }, train };
}
