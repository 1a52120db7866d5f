// Turns what the user chose (`RunSettings`, see settings.ts) into the `RunConfig` the trainer runs:
// every setting is checked against its range in the settings table and Large-Sparse is applied
// (k× the dimension at sparsity 1 − (1 − s)/k).
import { largeSparse } from './budget';
import { checkRunSettings, type RunSettings } from './settings';
import type { RunConfig } from './train';

export { defaultRunSettings, mergeSettings, type RunOverrides, type RunSettings } from './settings';

/** Checks every setting's range and applies Large-Sparse; throws a message naming the bad setting. */
export function resolveRun(unchecked: RunSettings): RunConfig {
  const settings = checkRunSettings(unchecked);
  const { prune, train } = settings;
  if (settings.largeSparse === 1) return { adapter: settings.adapter, prune, train };
  const large = largeSparse(settings.adapter, prune.sparsity, settings.largeSparse);
  return { adapter: large.options, prune: { ...prune, sparsity: large.sparsity }, train };
}
