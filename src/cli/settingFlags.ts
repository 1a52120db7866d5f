// The run settings as command-line flags, derived from the settings table (engine/settings.ts): one
// flag per setting with its range and default in the help, and the overrides the given flags make,
// each value checked against its setting's range with a message naming the flag.
import { describeRange, SETTING_LEAVES, type RunOverrides, type Setting } from '../engine/settings';

/** parseArgs options for every setting's flag (switches are booleans, everything else a string). */
export const SETTING_FLAG_OPTIONS: Record<string, { type: 'string' | 'boolean' }> = Object.fromEntries(
  SETTING_LEAVES.map((leaf) => [leaf.setting.flag, { type: leaf.setting.type === 'switch' ? ('boolean' as const) : ('string' as const) }]),
);

const argument = (s: Setting) => (s.type === 'choice' ? ` <${s.values.join('|')}>` : s.type === 'switch' ? '' : s.type === 'int' ? ' <n>' : ' <x>');

/** Help lines, one per setting: `--flag <arg>  help (range; default d)`, indented by `indent`. */
export function settingFlagsHelp(indent: string): string {
  return SETTING_LEAVES.map(({ setting: s }) => {
    const range = s.type === 'int' || s.type === 'real' ? `${s.above ? `> ${s.min}` : s.min}–${s.max}; ` : '';
    return `${indent}${`--${s.flag}${argument(s)}`.padEnd(26)} ${s.help} (${range}default ${s.default})`;
  }).join('\n');
}

/** A flag's value as its setting's type; throws `--flag must be …; got "value"`. */
function flagValue(s: Setting, raw: string | boolean): string | number | boolean {
  if (s.type === 'switch') return raw === true;
  const fail = () => new Error(`--${s.flag} must be ${describeRange(s)}; got "${String(raw)}"`);
  if (typeof raw !== 'string') throw fail();
  if (s.type === 'choice') {
    if (!s.values.includes(raw)) throw fail();
    return raw;
  }
  const n = raw.trim() === '' ? NaN : Number(raw);
  const ok = Number.isFinite(n) && (s.type === 'real' || Number.isInteger(n)) && (s.above ? n > s.min : n >= s.min) && n <= s.max;
  if (!ok) throw fail();
  return n;
}

/** The overrides the given setting flags make (flags not given keep the defaults). */
export function overridesFromFlags(values: Readonly<Record<string, string | boolean | undefined>>): RunOverrides {
  const sections: Record<'adapter' | 'prune' | 'train', Record<string, unknown>> = { adapter: {}, prune: {}, train: {} };
  const top: Record<string, unknown> = {};
  for (const leaf of SETTING_LEAVES) {
    const raw = values[leaf.setting.flag];
    if (raw === undefined) continue;
    const value = flagValue(leaf.setting, raw);
    if (leaf.section) sections[leaf.section][leaf.key] = value;
    else top[leaf.key] = value;
  }
  return { ...top, ...sections } as RunOverrides;
}
