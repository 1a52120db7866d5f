// The CLI as a user runs it: `encode --json` prints one JSON object whose ids agree with the
// independent Python tokenizer and whose hidden states agree with the engine's forward pass.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { forwardEncoder } from '../engine/bert';
import { loadPlm } from '../engine/plm';
import { folderReader } from './modelFolder';

const ROOT = join(__dirname, '..', '..');
const TINY = 'src/engine/fixtures/tiny-bert';
const cli = (...args: string[]) => spawnSync('npx', ['tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });

describe('npm run cli -- encode', () => {
  it('prints input_ids, token_type_ids and last_hidden_state that match the tokenizer fixture and the engine', async () => {
    const cases = JSON.parse(readFileSync(join(ROOT, 'src/engine/fixtures/tokenizer/cases.json'), 'utf8')) as { cases: { text: string; text2: string | null; max_length: number | null; input_ids: number[]; token_type_ids: number[] }[] };
    const pair = cases.cases.find((c) => c.text2 !== null && c.max_length === null && c.text.length > 0)!;
    const stdout = execFileSync('npx', ['tsx', 'src/cli/main.ts', 'encode', '--model', TINY, '--text', pair.text, '--text2', pair.text2!, '--json'], { cwd: ROOT, encoding: 'utf8' });
    const out = JSON.parse(stdout) as { input_ids: number[]; token_type_ids: number[]; last_hidden_state: number[][] };
    expect(out.input_ids).toEqual(pair.input_ids);
    expect(out.token_type_ids).toEqual(pair.token_type_ids);

    await tf.setBackend('cpu');
    const plm = await loadPlm(folderReader(join(ROOT, TINY)), 'tiny');
    const row = (v: number[]) => tf.tensor2d([v], undefined, 'int32');
    const direct = forwardEncoder(plm.model, { inputIds: row(out.input_ids), tokenTypeIds: row(out.token_type_ids), attentionMask: row(out.input_ids.map(() => 1)) }).lastHiddenState.arraySync()[0]!;
    expect(out.last_hidden_state).toHaveLength(out.input_ids.length);
    out.last_hidden_state.forEach((h, t) => h.forEach((v, j) => expect(Math.abs(v - direct[t]![j]!)).toBeLessThan(1e-6)));
  });

  it('fails with a message and a non-zero exit for a missing folder or a missing --text', () => {
    const missing = cli('encode', '--model', '/no/such/model', '--text', 'hi');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('error: model folder /no/such/model does not exist');
    const noText = cli('encode', '--model', TINY);
    expect(noText.status).toBe(1);
    expect(noText.stderr).toContain('error: encode needs --text');
  });

  it('prints help with the sub-commands', () => {
    const help = cli('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Commands:\s+encode/);
  });
});
