// The command line over the same engine as the browser: one entry point with sub-commands.
//   npm run cli -- encode [--model <dir>] --text "<sentence>" [--text2 "<second>"] [--json]
//   npm run cli -- train --adapter houlsby --dim 16 --sparsity 0.5 --pruner snip --steps 100 --json
//   npm run bench -- --quick --json
//   npm run cli -- experiment --preset paper --out results/paper --jobs 2
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { encodeText, loadPlm } from '../engine/plm';
import { BASELINES_HELP, baselinesCommand } from './baselines';
import { BENCH_HELP, benchCommand } from './bench';
import { REAL_SIZE_HELP, benchRealSizeCommand } from './benchRealSize';
import { EXPERIMENT_HELP, experimentCommand, experimentWorker } from './experiment';
import { DEFAULT_MODEL_DIR, folderReader } from './modelFolder';
import { TRAIN_HELP, trainCommand } from './train';

const HELP = `SparseAdapter Playground — command line

Usage: npm run cli -- <command> [options]

Commands:
  encode   Tokenize a sentence (or pair) and run the frozen encoder.
           --model <dir>    a Hugging Face BERT, RoBERTa, DistilBERT or ELECTRA folder (config.json,
                            model.safetensors, and tokenizer.json, vocab.txt or vocab.json + merges.txt);
                            default: ${DEFAULT_MODEL_DIR}
           --text <s>       the sentence (required)
           --text2 <s>      an optional second sentence
           --json           print one JSON object: input_ids, token_type_ids, tokens, last_hidden_state
${TRAIN_HELP}
${EXPERIMENT_HELP}
${BASELINES_HELP}
${BENCH_HELP}
${REAL_SIZE_HELP}
  help     Show this help.

encode runs on tfjs's cpu backend; the other commands take --backend (cpu, wasm, or webgpu through Dawn;
each says above its default and whether it takes auto).`;

async function encodeCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { model: { type: 'string' }, text: { type: 'string' }, text2: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
  if (values.text === undefined) throw new Error('encode needs --text "<sentence>"');
  await tf.setBackend('cpu');
  const dir = values.model ?? DEFAULT_MODEL_DIR;
  if (!existsSync(dir)) throw new Error(`model folder ${dir} does not exist`);
  const plm = await loadPlm(folderReader(dir), dir);
  const result = await encodeText(plm, values.text, values.text2 ?? null);
  if (values.json) {
    process.stdout.write(JSON.stringify({ input_ids: result.inputIds, token_type_ids: result.tokenTypeIds, tokens: result.tokens, last_hidden_state: result.lastHiddenState }) + '\n');
    return;
  }
  console.log(`${plm.summary.label}: ${plm.summary.layers} layers, hidden ${plm.summary.hiddenSize}, ${plm.summary.parameters.toLocaleString('en-US')} parameters`);
  result.tokens.forEach((token, i) => {
    const h = result.lastHiddenState[i] ?? [];
    console.log(`${String(i).padStart(3)} ${token.padEnd(16)} id ${String(result.inputIds[i]).padStart(5)}  type ${result.tokenTypeIds[i]}  |h| ${Math.hypot(...h).toFixed(4)}`);
  });
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'encode':
      return encodeCommand(rest);
    case 'train':
      return trainCommand(rest);
    case 'experiment':
      return experimentCommand(rest);
    case 'baselines':
      return baselinesCommand(rest);
    case 'experiment-worker':
      return experimentWorker(rest);
    case 'bench':
      return rest.includes('--real-size') ? benchRealSizeCommand(rest) : benchCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(HELP);
      return;
    default:
      throw new Error(`unknown command "${command}"; run \`npm run cli -- --help\``);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
