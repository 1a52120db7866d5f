// The encoder families that load, as data: for each Hugging Face model_type, the names its
// checkpoints give the weights (checkpoint.ts reads them into bert.ts's one encoder), the heads that
// may sit beside them, and the module names the Python libraries use for it (interop.ts). Names are
// those of transformers' modeling_bert / modeling_roberta / modeling_distilbert / modeling_electra;
// the export names were checked against adapter-hub/adapters (models/*/mixin_*.py, adapter_model.py)
// and huggingface/peft (utils/constants.py). Plain data, no tfjs: the page reads the titles.

/** The model_type values that load. */
export const MODEL_TYPES = ['bert', 'roberta', 'distilbert', 'electra'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

/** Why a known model_type that is not an encoder of this kind does not load. */
export const REFUSED_MODEL_TYPES: Record<string, string> = {
  t5: 'T5 is an encoder-decoder model, out of scope here',
  mt5: 'mT5 is an encoder-decoder model, out of scope here',
  bart: 'BART is an encoder-decoder model, out of scope here',
  gpt2: 'GPT-2 is a decoder-only model, out of scope here',
  llama: 'Llama is a decoder-only model, out of scope here',
  'xlm-roberta': 'XLM-RoBERTa needs a SentencePiece tokenizer, which this playground does not have',
  camembert: 'CamemBERT needs a SentencePiece tokenizer, which this playground does not have',
  albert: 'ALBERT shares its layers and needs a SentencePiece tokenizer, which this playground does not have',
  deberta: 'DeBERTa uses relative attention, which this encoder does not implement',
  'deberta-v2': 'DeBERTa-v2 uses relative attention, which this encoder does not implement',
};

/** One encoder layer's weight names (without the model prefix), e.g. `encoder.layer.3.attention.self.query`. */
export interface LayerNames {
  query: string;
  key: string;
  value: string;
  attentionOutput: string;
  attentionNorm: string;
  intermediate: string;
  output: string;
  outputNorm: string;
}

/** A family: its names in checkpoints and in the Python libraries. */
export interface Family {
  /** As the page writes it: "BERT", "RoBERTa". */
  title: string;
  /** Class names in config.json's `architectures` start with this: BertModel, RobertaForMaskedLM. */
  classPrefix: string;
  /** The base model's attribute in the task models (`bert.`, `roberta.`…), which prefixes its tensor names there. */
  prefix: string;
  /** Prefixes of head tensors (pretraining or task heads) that are skipped and listed. */
  heads: string[];
  embeddings: { word: string; position: string; tokenType: string | null; norm: string; project: string | null };
  layer(i: number): LayerNames;
  pooler: string | null;
  /** The tokenizer its folders ship (tokenizer.json, when present, says for itself). */
  tokenizer: 'wordpiece' | 'byte-level-bpe';
  /** AdapterHub: the flexible-heads model class, and where each BERT-named bottleneck site is in this family's layer. */
  adapterHub: { modelClass: string; layer(i: number): string; sites: Record<'attention.output' | 'output', string> };
  /**
   * PEFT: the LoRA target names of our query/value projections, the path of a layer's attention
   * projections, and the task models' head modules (AutoModelForSequenceClassification's head,
   * as modules_to_save, and its tensors from our head's dense/out layers).
   */
  peft: {
    projections: Record<'query' | 'value' | 'key', string>;
    attention(i: number): string;
    sequenceHead: { modules: string[]; dense: string; out: string; activation: HeadActivation };
  };
}

/** The non-linearity between a sentence head's two dense layers, as each family's classification model has it. */
export type HeadActivation = 'tanh' | 'gelu' | 'relu';

const bertLayer = (i: number): LayerNames => {
  const base = `encoder.layer.${i}`;
  return {
    query: `${base}.attention.self.query`,
    key: `${base}.attention.self.key`,
    value: `${base}.attention.self.value`,
    attentionOutput: `${base}.attention.output.dense`,
    attentionNorm: `${base}.attention.output.LayerNorm`,
    intermediate: `${base}.intermediate.dense`,
    output: `${base}.output.dense`,
    outputNorm: `${base}.output.LayerNorm`,
  };
};
const bertEmbeddings = { word: 'embeddings.word_embeddings', position: 'embeddings.position_embeddings', tokenType: 'embeddings.token_type_embeddings', norm: 'embeddings.LayerNorm', project: null };
const bertSites = { 'attention.output': 'attention.output', output: 'output' } as const;
const queryValue = { query: 'query', key: 'key', value: 'value' };
const selfAttention = (prefix: string) => (i: number) => `${prefix}encoder.layer.${i}.attention.self`;

export const FAMILIES: Record<ModelType, Family> = {
  bert: {
    title: 'BERT',
    classPrefix: 'Bert',
    prefix: 'bert.',
    heads: ['cls.', 'classifier.', 'qa_outputs.'],
    embeddings: bertEmbeddings,
    layer: bertLayer,
    pooler: 'pooler.dense',
    tokenizer: 'wordpiece',
    adapterHub: { modelClass: 'BertAdapterModel', layer: (i) => `bert.encoder.layer.${i}`, sites: bertSites },
    // BertForSequenceClassification: the pooler (dense + tanh on [CLS]) and the classifier.
    peft: { projections: queryValue, attention: selfAttention('bert.'), sequenceHead: { modules: ['pooler', 'classifier'], dense: 'bert.pooler.dense', out: 'classifier', activation: 'tanh' } },
  },
  roberta: {
    title: 'RoBERTa',
    classPrefix: 'Roberta',
    prefix: 'roberta.',
    heads: ['lm_head.', 'classifier.', 'qa_outputs.'],
    embeddings: bertEmbeddings,
    layer: bertLayer,
    pooler: 'pooler.dense',
    tokenizer: 'byte-level-bpe',
    adapterHub: { modelClass: 'RobertaAdapterModel', layer: (i) => `roberta.encoder.layer.${i}`, sites: bertSites },
    // RobertaForSequenceClassification: RobertaClassificationHead (dense, tanh, out_proj on <s>); no pooler.
    peft: { projections: queryValue, attention: selfAttention('roberta.'), sequenceHead: { modules: ['classifier'], dense: 'classifier.dense', out: 'classifier.out_proj', activation: 'tanh' } },
  },
  distilbert: {
    title: 'DistilBERT',
    classPrefix: 'DistilBert',
    prefix: 'distilbert.',
    heads: ['vocab_transform.', 'vocab_layer_norm.', 'vocab_projector.', 'pre_classifier.', 'classifier.', 'qa_outputs.'],
    embeddings: { word: 'embeddings.word_embeddings', position: 'embeddings.position_embeddings', tokenType: null, norm: 'embeddings.LayerNorm', project: null },
    layer: (i) => {
      const base = `transformer.layer.${i}`;
      return {
        query: `${base}.attention.q_lin`,
        key: `${base}.attention.k_lin`,
        value: `${base}.attention.v_lin`,
        attentionOutput: `${base}.attention.out_lin`,
        attentionNorm: `${base}.sa_layer_norm`,
        intermediate: `${base}.ffn.lin1`,
        output: `${base}.ffn.lin2`,
        outputNorm: `${base}.output_layer_norm`,
      };
    },
    pooler: null,
    tokenizer: 'wordpiece',
    // TransformerBlock holds its bottleneck layers itself: attention_adapters (mh_adapter), output_adapters.
    adapterHub: { modelClass: 'DistilBertAdapterModel', layer: (i) => `distilbert.transformer.layer.${i}`, sites: { 'attention.output': 'attention_adapters', output: 'output_adapters' } },
    // DistilBertForSequenceClassification: pre_classifier, ReLU, classifier. PEFT has no default
    // targets for distilbert, so adapter_config.json's explicit target_modules are what it uses.
    peft: {
      projections: { query: 'q_lin', key: 'k_lin', value: 'v_lin' },
      attention: (i) => `distilbert.transformer.layer.${i}.attention`,
      sequenceHead: { modules: ['pre_classifier', 'classifier'], dense: 'pre_classifier', out: 'classifier', activation: 'relu' },
    },
  },
  electra: {
    title: 'ELECTRA',
    classPrefix: 'Electra',
    prefix: 'electra.',
    heads: ['discriminator_predictions.', 'generator_predictions.', 'generator_lm_head.', 'classifier.', 'qa_outputs.'],
    embeddings: { ...bertEmbeddings, project: 'embeddings_project' },
    layer: bertLayer,
    pooler: null,
    tokenizer: 'wordpiece',
    adapterHub: { modelClass: 'ElectraAdapterModel', layer: (i) => `electra.encoder.layer.${i}`, sites: bertSites },
    // ElectraForSequenceClassification: ElectraClassificationHead (dense, GELU, out_proj on the first token).
    peft: { projections: queryValue, attention: selfAttention('electra.'), sequenceHead: { modules: ['classifier'], dense: 'classifier.dense', out: 'classifier.out_proj', activation: 'gelu' } },
  },
};

/** Whether a config.json model_type is one that loads. */
export function isModelType(value: unknown): value is ModelType {
  return typeof value === 'string' && (MODEL_TYPES as readonly string[]).includes(value);
}

/** The sentence head's activation for a model of this type (head.ts). */
export function headActivation(modelType: ModelType): HeadActivation {
  return FAMILIES[modelType].peft.sequenceHead.activation;
}
