// Writes src/engine/fixtures/interop/: one exported folder per case of src/engine/testing/interopFixture.ts
// and inputs.json (the batch and this engine's logits). Then run, with PyTorch:
//   /usr/bin/python3 scripts/interop/check_exports.py
// which loads every folder the way AdapterHub / PEFT do and writes python_logits.json.
// Usage: npx tsx scripts/interop/make-fixtures.ts
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildInteropCases, interopInputsJson } from '../../src/engine/testing/interopFixture';
import { loadTinyPlm } from '../../src/engine/testing/tinyModel';

const OUT = 'src/engine/fixtures/interop';

await tf.setBackend('cpu');
const plm = await loadTinyPlm();
const cases = await buildInteropCases(plm);
for (const k of cases) {
  const dir = join(OUT, k.spec.name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const f of k.files) await writeFile(join(dir, f.name), f.data);
  console.log(`${dir}: ${k.files.map((f) => f.name).join(', ')}`);
}
await writeFile(join(OUT, 'inputs.json'), interopInputsJson(cases));
console.log(`${OUT}/inputs.json`);
