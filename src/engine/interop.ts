// The trained adapter in the layouts of the two Python libraries people continue in:
// - AdapterHub's `adapters` (Houlsby, Pfeiffer, parallel): the folder `model.save_adapter(dir, name)`
//   writes and `model.load_adapter(dir, use_safetensors=True)` reads, i.e. adapter_config.json +
//   adapter.safetensors, and the prediction head as head_config.json + model_head.safetensors.
// - Hugging Face PEFT (LoRA): the folder `PeftModel.save_pretrained` writes and
//   `PeftModel.from_pretrained(base, dir)` reads: adapter_config.json + adapter_model.safetensors,
//   with the head as modules_to_save (pooler + classifier of BertForSequenceClassification, or the
//   classifier of BertForTokenClassification).
// Every name is the encoder family's own (families.ts): `roberta.encoder.layer.N…`, DistilBERT's
// `distilbert.transformer.layer.N.attention.q_lin` and its TransformerBlock's attention_adapters /
// output_adapters, RobertaForSequenceClassification's classifier.dense / classifier.out_proj, and so on.
// Names, shapes and config fields follow those libraries' sources (adapters: methods/modeling.py,
// methods/bottleneck.py, configuration/adapter_config.py, loading.py, heads/base.py; PEFT:
// utils/save_and_load.py, utils/other.py, tuners/lora). scripts/interop/check_exports.py loads the
// committed fixtures the way each library does, in PyTorch, and the logits are compared in
// interop.test.ts. Weights are written in torch's [out, in] layout with pruned entries as +0; the
// masks travel beside them in sparsity_masks.safetensors (same names, U8), which neither library
// reads, so sparse training can continue in Python.
import type * as tf from '@tensorflow/tfjs';
import { zipSync, type Zippable, type ZippableFile } from 'fflate';
import { weightValues } from './adapterFile';
import type { AdapterParam, Adapters, ParamRole } from './adapters';
import { adapterSpec, exportLibrary, noExportReason } from './adapters/registry';
import { FAMILIES, type ModelType } from './families';
import type { Head } from './head';
import { writeSafetensors, type TensorToWrite } from './safetensors';

export { exportLibrary, noExportReason };

/** What the export needs besides the weights. */
export interface ExportInfo {
  /** The base model's name or path, written into the configs (base_model_name_or_path / model_name). */
  modelName: string;
  /** The adapter's name inside AdapterHub (letters, digits and underscores are kept). */
  adapterName: string;
  labels: string[];
  hiddenSize: number;
  /** The encoder's config.json model_type: the names and model classes the export uses. */
  modelType: ModelType;
}

/** One file of the exported folder. */
export interface ExportedFile {
  name: string;
  data: Uint8Array;
}

/** The version string written into AdapterHub configs ("adapters." + library version). */
export const ADAPTERS_VERSION = 'adapters.1.1.0';

/** A name AdapterHub can use as a module key: no dots, no spaces. */
export function adapterHubName(label: string): string {
  const cleaned = label.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 60);
  return /^[a-z]/.test(cleaned) ? cleaned : `adapter_${cleaned}`.replace(/_+$/, '');
}

/**
 * Python's float floor division `a // b` (CPython's float_floor_div), which AdapterHub uses for
 * `int(hidden_size // reduction_factor)`; it can differ from Math.floor(a / b) by one.
 */
export function pythonFloorDiv(a: number, b: number): number {
  const mod = a % b; // C fmod
  let div = (a - mod) / b;
  if (mod !== 0 && (b < 0) !== (mod < 0)) div -= 1;
  if (div === 0) return 0;
  let floordiv = Math.floor(div);
  if (div - floordiv > 0.5) floordiv += 1;
  return floordiv;
}

/** The reduction factor whose `int(H // rf)` is exactly `dim` in Python (H / dim, nudged if needed). */
export function reductionFactor(hiddenSize: number, dim: number): number {
  let rf = hiddenSize / dim;
  if (Number.isInteger(rf)) return rf;
  const buffer = new Float64Array(1);
  const bits = new BigInt64Array(buffer.buffer);
  for (let i = 0; i < 64 && pythonFloorDiv(hiddenSize, rf) !== dim; i++) {
    buffer[0] = rf;
    bits[0] = bits[0]! + (pythonFloorDiv(hiddenSize, rf) < dim ? -1n : 1n); // the next double down / up
    rf = buffer[0]!;
  }
  if (pythonFloorDiv(hiddenSize, rf) !== dim) throw new Error(`no reduction factor gives a ${dim}-wide bottleneck on hidden size ${hiddenSize}`);
  return rf;
}

interface Weights {
  values: Float32Array;
  mask: Uint8Array | null;
  shape: number[];
}

/** Reads a variable (pruned entries are already exact zeros: the masked optimizer keeps them so) and its mask. */
async function read(variable: tf.Variable, mask: tf.Tensor | undefined): Promise<Weights> {
  return { values: await weightValues(variable), mask: mask ? Uint8Array.from(await mask.data()) : null, shape: variable.shape };
}

/** [in, out] → torch's [out, in]. */
function transpose(w: Weights): Weights {
  const [rows, cols] = w.shape as [number, number];
  const t = <T extends Float32Array | Uint8Array>(src: T, out: T): T => {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
    return out;
  };
  return { values: t(w.values, new Float32Array(w.values.length)), mask: w.mask && t(w.mask, new Uint8Array(w.mask.length)), shape: [cols, rows] };
}

/** Collects tensors for the weights file and their masks for the masks file. */
class Collector {
  readonly tensors: TensorToWrite[] = [];
  readonly masks: TensorToWrite[] = [];
  add(name: string, w: Weights): void {
    this.tensors.push({ name, shape: w.shape, data: w.values });
    if (w.mask) this.masks.push({ name, shape: w.shape, data: w.mask });
  }
}

/**
 * Config fields that Python must read as floats: AdapterHub accepts `scaling` only as a float (an int
 * 1 or 4 is "Unknown scaling type"), and JSON from JavaScript writes 1.0 as 1.
 */
const FLOAT_FIELDS = ['scaling', 'dropout', 'stochastic_depth', 'lora_dropout'];

/** Pretty JSON with the float fields written with a decimal point when they are whole numbers. */
export function configJson(value: unknown): Uint8Array {
  let json = JSON.stringify(value, null, 2);
  for (const key of FLOAT_FIELDS) json = json.replace(new RegExp(`("${key}": )(-?\\d+)(,?)$`, 'gm'), '$1$2.0$3');
  return new TextEncoder().encode(`${json}\n`);
}
const TORCH_METADATA = { format: 'pt' };

/** The files of the export for this adapter (throws for kinds that have none). */
export async function exportForLibrary(adapters: Adapters, head: Head, masks: ReadonlyMap<string, tf.Tensor>, info: ExportInfo): Promise<ExportedFile[]> {
  const library = exportLibrary(adapters.options.kind);
  if (library === null) throw new Error(noExportReason(adapters.options.kind));
  const weights = new Map<string, Weights>();
  for (const p of adapters.params) weights.set(p.name, await read(p.variable, masks.get(p.name)));
  for (const v of head.variables) weights.set(v.name, await read(v.variable, undefined));
  const get = (name: string) => {
    const w = weights.get(name);
    if (!w) throw new Error(`the adapter has no tensor ${name}`);
    return w;
  };
  return library === 'adapters' ? adapterHubFiles(adapters, head, get, info) : peftFiles(adapters, head, get, info);
}

/** The name of the tensor with `role` in the same layer and module as `p` (its bias, its up-projection, LoRA's B), by the spec's declared roles. */
function partner(adapters: Adapters, p: AdapterParam, role: ParamRole): string {
  const found = adapters.params.find((q) => q.layer === p.layer && q.module === p.module && q.role === role);
  if (!found) throw new Error(`${adapters.options.kind}: no ${role} tensor beside ${p.name}`);
  return found.name;
}

function adapterHubFiles(adapters: Adapters, head: Head, get: (name: string) => Weights, info: ExportInfo): ExportedFile[] {
  const o = adapters.options;
  const target = adapterSpec(o.kind).exportTarget;
  if (target.library !== 'adapters') throw new Error(noExportReason(o.kind));
  const name = adapterHubName(info.adapterName);
  const family = FAMILIES[info.modelType].adapterHub;
  const out = new Collector();
  // Each bottleneck module goes to its site in BertLayer, as the spec says (down weights mark one module
  // each), which the family names its own way (DistilBERT's TransformerBlock.attention_adapters…).
  const downs = adapters.params.filter((p) => p.role === 'down').sort((a, b) => (a.layer ?? 0) - (b.layer ?? 0));
  for (const p of downs) {
    const site = target.sites[p.module];
    if (!site) throw new Error(`${o.kind}: no AdapterHub site for the module ${p.module}`);
    const ours = (role: ParamRole) => get(partner(adapters, p, role));
    const theirs = `${family.layer(p.layer!)}.${family.sites[site]}.adapters.${name}`;
    out.add(`${theirs}.adapter_down.0.weight`, transpose(ours('down')));
    out.add(`${theirs}.adapter_down.0.bias`, ours('down_bias'));
    out.add(`${theirs}.adapter_up.weight`, transpose(ours('up')));
    out.add(`${theirs}.adapter_up.bias`, ours('up_bias'));
  }
  const flags = target.config;
  // Every BnConfig field, as the library's to_dict() writes them; the placement and residual flags
  // are those of DoubleSeqBnConfig (Houlsby), SeqBnConfig (Pfeiffer) and ParBnConfig (parallel).
  const config = {
    mh_adapter: flags.mh_adapter,
    output_adapter: true,
    reduction_factor: reductionFactor(info.hiddenSize, o.dim),
    non_linearity: o.nonlinearity, // our names are transformers' get_activation names (gelu = exact erf GELU)
    original_ln_before: flags.original_ln_before,
    original_ln_after: true,
    ln_before: false,
    ln_after: false,
    init_weights: flags.init_weights,
    is_parallel: flags.is_parallel,
    scaling: flags.scaling(o),
    use_gating: false,
    residual_before_ln: true,
    adapter_residual_before_ln: false,
    inv_adapter: null,
    inv_adapter_reduction_factor: null,
    cross_adapter: false,
    leave_out: [],
    dropout: 0.0,
    phm_layer: false,
    phm_dim: 4,
    factorized_phm_W: true,
    shared_W_phm: false,
    shared_phm_rule: true,
    factorized_phm_rule: false,
    phm_c_init: 'normal',
    phm_init_range: 0.0001,
    learn_phm: true,
    hypercomplex_nonlinearity: 'glorot-uniform',
    phm_rank: 1,
    phm_bias: true,
    stochastic_depth: 0.0,
  };
  const common = { hidden_size: info.hiddenSize, model_class: family.modelClass, model_name: info.modelName, model_type: info.modelType, name, version: ADAPTERS_VERSION };
  // The head: ClassificationHead(layers=2, activation, use_pooler=False) is [Dropout, Linear, Activation, Dropout, Linear];
  // TaggingHead(layers=1) is [Dropout, Linear].
  const headTensors = new Collector();
  if (head.kind === 'sequence') {
    headTensors.add(`heads.${name}.1.weight`, transpose(get('head.dense.weight')));
    headTensors.add(`heads.${name}.1.bias`, get('head.dense.bias'));
    headTensors.add(`heads.${name}.4.weight`, transpose(get('head.out.weight')));
    headTensors.add(`heads.${name}.4.bias`, get('head.out.bias'));
  } else {
    headTensors.add(`heads.${name}.1.weight`, transpose(get('head.out.weight')));
    headTensors.add(`heads.${name}.1.bias`, get('head.out.bias'));
  }
  const label2id = Object.fromEntries(info.labels.map((l, i) => [l, i]));
  const headConfig = head.kind === 'sequence'
    ? { head_type: 'classification', num_labels: head.numLabels, layers: 2, activation_function: head.activation, label2id, use_pooler: false, bias: true, dropout_prob: null }
    : { head_type: 'tagging', num_labels: head.numLabels, layers: 1, activation_function: 'tanh', label2id, dropout_prob: null };
  return [
    { name: 'adapter_config.json', data: configJson(sortKeys({ config, ...common })) },
    { name: 'adapter.safetensors', data: writeSafetensors(out.tensors, TORCH_METADATA) },
    { name: 'head_config.json', data: configJson(sortKeys({ config: headConfig, ...common })) },
    { name: 'model_head.safetensors', data: writeSafetensors(headTensors.tensors, TORCH_METADATA) },
    { name: 'sparsity_masks.safetensors', data: writeSafetensors(out.masks, TORCH_METADATA) },
    { name: 'README.md', data: new TextEncoder().encode(adapterHubReadme(name, info, adapters, head)) },
  ];
}

function peftFiles(adapters: Adapters, head: Head, get: (name: string) => Weights, info: ExportInfo): ExportedFile[] {
  const o = adapters.options;
  const target = adapterSpec(o.kind).exportTarget;
  if (target.library !== 'peft') throw new Error(noExportReason(o.kind));
  const out = new Collector();
  const prefix = 'base_model.model';
  const family = FAMILIES[info.modelType].peft;
  const sequenceHead = family.sequenceHead;
  // The task model PEFT wraps has this activation in its head; a head trained with another would not load as itself.
  if (head.kind === 'sequence' && head.activation !== sequenceHead.activation) {
    throw new Error(`the head uses ${head.activation} but ${FAMILIES[info.modelType].title}'s sequence-classification head uses ${sequenceHead.activation}: it cannot be saved as that model's modules_to_save`);
  }
  const theirModule = (module: string) => {
    const mapped = (family.projections as Record<string, string>)[module];
    if (!mapped) throw new Error(`lora: no ${FAMILIES[info.modelType].title} projection for the module ${module}`);
    return mapped;
  };
  // Each A (with its B) sits on the projection named by its module; layers in order, then query before value.
  const rank = (m: string) => target.targetModules.indexOf(m);
  const as = adapters.params.filter((p) => p.role === 'lora_A').sort((a, b) => (a.layer ?? 0) - (b.layer ?? 0) || rank(a.module) - rank(b.module));
  for (const p of as) {
    const base = `${prefix}.${family.attention(p.layer!)}.${theirModule(p.module)}`;
    // lora_A: nn.Linear(in, r) → weight [r, in]; lora_B: nn.Linear(r, out) → weight [out, r].
    out.add(`${base}.lora_A.weight`, transpose(get(p.name)));
    out.add(`${base}.lora_B.weight`, transpose(get(partner(adapters, p, 'lora_B'))));
  }
  // modules_to_save are saved under the wrapped module's own names (adapter name removed).
  // The sequence head is the task model's: BERT's pooler + classifier, RoBERTa's and ELECTRA's
  // classifier.dense + classifier.out_proj, DistilBERT's pre_classifier + classifier.
  const outName = head.kind === 'sequence' ? sequenceHead.out : 'classifier';
  if (head.kind === 'sequence') {
    out.add(`${prefix}.${sequenceHead.dense}.weight`, transpose(get('head.dense.weight')));
    out.add(`${prefix}.${sequenceHead.dense}.bias`, get('head.dense.bias'));
  }
  out.add(`${prefix}.${outName}.weight`, transpose(get('head.out.weight')));
  out.add(`${prefix}.${outName}.bias`, get('head.out.bias'));
  // Only long-standing LoraConfig fields, so that older PEFT versions read it too; the rest default.
  const config = {
    base_model_name_or_path: info.modelName,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    lora_alpha: o.loraAlpha,
    lora_dropout: 0.0,
    modules_to_save: head.kind === 'sequence' ? sequenceHead.modules : ['classifier'],
    peft_type: 'LORA',
    r: o.dim,
    revision: null,
    target_modules: target.targetModules.map(theirModule),
    task_type: head.kind === 'sequence' ? 'SEQ_CLS' : 'TOKEN_CLS',
  };
  return [
    { name: 'adapter_config.json', data: configJson(config) },
    { name: 'adapter_model.safetensors', data: writeSafetensors(out.tensors, TORCH_METADATA) },
    { name: 'sparsity_masks.safetensors', data: writeSafetensors(out.masks, TORCH_METADATA) },
    { name: 'README.md', data: new TextEncoder().encode(peftReadme(info, adapters, head)) },
  ];
}

function sortKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, value[k]]));
}

const sparsityLine = (adapters: Adapters) =>
  `Pruned weights are stored as exact zeros; sparsity_masks.safetensors holds the masks (1 kept, 0 pruned) under the same tensor names, for continuing sparse training (multiply the gradient or the weight by the mask after each step). Neither library reads that file. Settings: ${JSON.stringify(adapters.options)}.`;

function adapterHubReadme(name: string, info: ExportInfo, adapters: Adapters, head: Head): string {
  const model = head.kind === 'sequence' ? 'classification' : 'tagging';
  const modelClass = FAMILIES[info.modelType].adapterHub.modelClass;
  return `# ${name}: a ${adapters.options.kind} adapter for AdapterHub's \`adapters\` library

Exported by SparseAdapter Playground. Base model: \`${info.modelName}\` (hidden size ${info.hiddenSize}); the adapter and its ${model} head (${info.labels.length} labels: ${info.labels.join(', ')}) are in this folder.

\`\`\`python
from adapters import ${modelClass}
model = ${modelClass}.from_pretrained("${info.modelName}")  # the same base model the adapter was trained on
name = model.load_adapter("path/to/this/folder", use_safetensors=True)  # loads the head too
model.set_active_adapters(name)
model.eval()
\`\`\`

${sparsityLine(adapters)}
`;
}

function peftReadme(info: ExportInfo, adapters: Adapters, head: Head): string {
  const cls = head.kind === 'sequence' ? 'AutoModelForSequenceClassification' : 'AutoModelForTokenClassification';
  const family = FAMILIES[info.modelType];
  const target = adapterSpec(adapters.options.kind).exportTarget;
  const projections = target.library === 'peft' ? target.targetModules.map((m) => (family.peft.projections as Record<string, string>)[m] ?? m).join(' and ') : 'query and value';
  const headModules = head.kind === 'sequence' ? family.peft.sequenceHead.modules.join(' + ') : 'classifier';
  return `# A LoRA adapter for Hugging Face PEFT

Exported by SparseAdapter Playground. Base model: \`${info.modelName}\` (${family.title}, hidden size ${info.hiddenSize}); LoRA r = ${adapters.options.dim}, alpha = ${adapters.options.loraAlpha} on the attention projections ${projections}; the task head (${info.labels.length} labels: ${info.labels.join(', ')}) is saved as modules_to_save (${headModules}).

\`\`\`python
from transformers import ${cls}
from peft import PeftModel
base = ${cls}.from_pretrained("${info.modelName}", num_labels=${info.labels.length})
model = PeftModel.from_pretrained(base, "path/to/this/folder")
model.eval()
\`\`\`

${sparsityLine(adapters)}
`;
}

/** The export as one zip (a browser downloads files, not folders): `<folder>/<file>` entries. */
export async function exportZipForLibrary(adapters: Adapters, head: Head, masks: ReadonlyMap<string, tf.Tensor>, info: ExportInfo): Promise<{ library: 'adapters' | 'peft'; folder: string; bytes: Uint8Array }> {
  const files = await exportForLibrary(adapters, head, masks, info);
  const library = exportLibrary(adapters.options.kind)!;
  const folder = `${adapterHubName(info.adapterName)}-${library === 'adapters' ? 'adapterhub' : 'peft'}`;
  // Fixed timestamps, so the same adapter gives the same bytes.
  const entries: Zippable = Object.fromEntries(files.map((f): [string, ZippableFile] => [`${folder}/${f.name}`, [f.data, { mtime: new Date(Date.UTC(2000, 0, 1)) }]]));
  return { library, folder, bytes: zipSync(entries, { level: 6 }) };
}
