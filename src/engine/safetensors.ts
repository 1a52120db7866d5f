// Reads and writes the safetensors format (Hugging Face): an 8-byte little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets}, __metadata__?}, then the raw little-endian data.
// Every way a file can be wrong becomes a CheckpointError that names the file and the problem;
// nothing here trusts the header before checking it against the bytes that are really there.

/** An error in a model file: which file, and what is wrong with it, in one readable message. */
export class CheckpointError extends Error {
  constructor(readonly file: string, readonly problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'CheckpointError';
  }
}

/** Bytes per element of every dtype the format defines; we decode the float ones. */
const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
};
/** The dtypes that can be decoded to float32 weights. */
export const FLOAT_DTYPES = ['F32', 'F16', 'BF16'] as const;
export type FloatDtype = (typeof FLOAT_DTYPES)[number];

/** One tensor's header entry, checked. */
export interface TensorInfo {
  dtype: string;
  shape: number[];
  begin: number; // byte offset in the data section
  end: number;
}

/** A parsed file: the checked header, its metadata, and decoders over the original bytes. */
export interface SafetensorsFile {
  file: string;
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  /** Decodes a float tensor (F32, F16 or BF16) to float32. */
  readFloat32(name: string): Float32Array;
  /** The raw bytes of a tensor (a view, not a copy). */
  readBytes(name: string): Uint8Array;
}

/** The largest header we accept; real ones are kilobytes. Guards against a lying length field. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

function product(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Converts IEEE half-precision bits to a number. */
export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // subnormal
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Converts a number to IEEE half-precision bits, rounding to nearest even. */
export function numberToFloat16(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf or NaN
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow to infinity
  if (e <= 0) {
    if (e < -10) return sign; // underflow to zero
    mantissa |= 0x800000; // the implicit leading one, then shift into a subnormal
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mantissa & ((1 << shift) - 1);
    let result = mantissa >> shift;
    if (rest > half || (rest === half && result & 1)) result += 1;
    return sign | result;
  }
  const rest = mantissa & 0x1fff;
  let result = (e << 10) | (mantissa >> 13);
  if (rest > 0x1000 || (rest === 0x1000 && result & 1)) result += 1; // a carry into the exponent is still correct
  return sign | result;
}

/** Converts float32 values to bfloat16 bits (the top half of the float32, rounded to nearest even). */
export function numberToBfloat16(value: number): number {
  const bits = new Uint32Array(new Float32Array([value]).buffer)[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return (bits >>> 16) | 0x40; // keep NaN a NaN
  const rounded = bits + 0x7fff + ((bits >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/**
 * Parses and checks a safetensors file. Checks: the length field fits the file, the header is a JSON
 * object, every entry has a known dtype, a shape of non-negative integers and offsets that lie inside
 * the data, match dtype × shape, and do not overlap.
 */
export function parseSafetensors(bytes: Uint8Array, file = 'model.safetensors'): SafetensorsFile {
  if (bytes.byteLength < 8) throw new CheckpointError(file, `truncated: ${bytes.byteLength} bytes, too short to hold the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.byteLength) {
    throw new CheckpointError(file, `truncated or not a safetensors file: the header claims ${headerLength} bytes but the file has ${bytes.byteLength - 8} after the length field`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw new CheckpointError(file, `the header is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new CheckpointError(file, 'the header is not a JSON object');

  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Object.values(raw).some((v) => typeof v !== 'string')) {
        throw new CheckpointError(file, '__metadata__ must map strings to strings');
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    const entry = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof entry !== 'object' || entry === null) throw new CheckpointError(file, `tensor ${name}: the header entry is not an object`);
    if (typeof entry.dtype !== 'string' || !(entry.dtype in DTYPE_BYTES)) throw new CheckpointError(file, `tensor ${name}: unknown dtype ${JSON.stringify(entry.dtype)}`);
    if (!Array.isArray(entry.shape) || !entry.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new CheckpointError(file, `tensor ${name}: shape ${JSON.stringify(entry.shape)} is not a list of non-negative integers`);
    }
    const offsets = entry.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
      throw new CheckpointError(file, `tensor ${name}: data_offsets ${JSON.stringify(offsets)} are not [begin, end]`);
    }
    const [begin, end] = offsets as [number, number];
    const shape = entry.shape as number[];
    const expected = product(shape) * DTYPE_BYTES[entry.dtype]!;
    if (end - begin !== expected) {
      throw new CheckpointError(file, `tensor ${name}: the header lies about its size: offsets span ${end - begin} bytes but ${entry.dtype} ${JSON.stringify(shape)} needs ${expected}`);
    }
    if (end > dataLength) {
      throw new CheckpointError(file, `truncated: tensor ${name} ends at byte ${end} of the data but the data has only ${dataLength} bytes`);
    }
    tensors.set(name, { dtype: entry.dtype, shape, begin, end });
  }
  const spans = [...tensors.entries()].sort((a, b) => a[1].begin - b[1].begin);
  for (let i = 1; i < spans.length; i++) {
    const [prevName, prev] = spans[i - 1]!;
    const [name, info] = spans[i]!;
    if (info.begin < prev.end) throw new CheckpointError(file, `the header lies about offsets: tensors ${prevName} and ${name} overlap`);
  }

  function info(name: string): TensorInfo {
    const found = tensors.get(name);
    if (!found) throw new CheckpointError(file, `missing tensor ${name}`);
    return found;
  }
  function readBytes(name: string): Uint8Array {
    const { begin, end } = info(name);
    return bytes.subarray(dataStart + begin, dataStart + end);
  }
  function readFloat32(name: string): Float32Array {
    const { dtype, shape } = info(name);
    const raw = readBytes(name);
    const count = product(shape);
    const data = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Float32Array(count);
    if (dtype === 'F32') {
      for (let i = 0; i < count; i++) out[i] = data.getFloat32(4 * i, true);
    } else if (dtype === 'F16') {
      for (let i = 0; i < count; i++) out[i] = float16ToNumber(data.getUint16(2 * i, true));
    } else if (dtype === 'BF16') {
      const widened = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        widened.setUint32(0, data.getUint16(2 * i, true) << 16, true);
        out[i] = widened.getFloat32(0, true);
      }
    } else {
      throw new CheckpointError(file, `tensor ${name}: dtype ${dtype} is not supported for weights (use F32, F16 or BF16)`);
    }
    return out;
  }
  return { file, tensors, metadata, readFloat32, readBytes };
}

/** A tensor to write: float data is stored as the given dtype (F32 by default); U8 data as U8. */
export interface TensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array | Uint8Array;
  dtype?: FloatDtype | 'U8';
}

/** Writes tensors (in the given order) and string metadata to a safetensors file. */
export function writeSafetensors(tensors: TensorToWrite[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const plan = tensors.map((t) => {
    const dtype = t.dtype ?? (t.data instanceof Uint8Array ? 'U8' : 'F32');
    if (product(t.shape) !== t.data.length) throw new Error(`writeSafetensors: ${t.name} has ${t.data.length} values for shape ${JSON.stringify(t.shape)}`);
    if (dtype === 'U8' !== t.data instanceof Uint8Array) throw new Error(`writeSafetensors: ${t.name}: dtype ${dtype} does not match its data`);
    if (header[t.name] !== undefined) throw new Error(`writeSafetensors: duplicate tensor name ${t.name}`);
    const size = t.data.length * DTYPE_BYTES[dtype]!;
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    const entry = { tensor: t, dtype, offset };
    offset += size;
    return entry;
  });
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8); // align the data to 8 bytes
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  const start = 8 + headerBytes.length;
  for (const { tensor, dtype, offset: at } of plan) {
    const base = start + at;
    const data = tensor.data;
    if (data instanceof Uint8Array) out.set(data, base);
    else if (dtype === 'F32') for (let i = 0; i < data.length; i++) view.setFloat32(base + 4 * i, data[i]!, true);
    else if (dtype === 'F16') for (let i = 0; i < data.length; i++) view.setUint16(base + 2 * i, numberToFloat16(data[i]!), true);
    else for (let i = 0; i < data.length; i++) view.setUint16(base + 2 * i, numberToBfloat16(data[i]!), true);
  }
  return out;
}
