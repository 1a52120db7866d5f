// The safetensors reader and writer: exact round trips, half-precision rounding checked against a
// brute-force nearest-value search, and a clear error for each way a file can be broken.
import { describe, expect, it } from 'vitest';
import { CheckpointError, float16ToNumber, numberToBfloat16, numberToFloat16, parseSafetensors, writeSafetensors } from './safetensors';

/** A file with a hand-written header, so the tests control every byte. */
function rawFile(header: unknown, dataBytes: number, headerOverride?: string): Uint8Array {
  const json = new TextEncoder().encode(headerOverride ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

function errorOf(fn: () => unknown): CheckpointError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    return error as CheckpointError;
  }
  throw new Error('expected a CheckpointError');
}

describe('writeSafetensors / parseSafetensors', () => {
  it('round-trips F32 exactly, keeps metadata and aligns the data to 8 bytes', () => {
    const a = Float32Array.from([1.5, -2.25, 3e-39, 65504.1, Math.PI, 0, -0]);
    const mask = Uint8Array.from([1, 0, 1, 1]);
    const bytes = writeSafetensors([{ name: 'a', shape: [7], data: a }, { name: 'mask', shape: [2, 2], data: mask }], { format: 'pt', note: 'x' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const file = parseSafetensors(bytes, 'a.safetensors');
    expect(file.metadata).toEqual({ format: 'pt', note: 'x' });
    expect(file.readFloat32('a')).toEqual(a);
    expect([...file.readBytes('mask')]).toEqual([1, 0, 1, 1]);
    expect(file.tensors.get('mask')).toMatchObject({ dtype: 'U8', shape: [2, 2] });
  });

  it('stores F16 and BF16 as the nearest representable value (ties to even)', () => {
    expect(numberToFloat16(1)).toBe(0x3c00);
    expect(numberToFloat16(65504)).toBe(0x7bff);
    expect(numberToFloat16(1e6)).toBe(0x7c00); // overflow → +Inf
    expect(numberToFloat16(-2)).toBe(0xc000);
    expect(numberToFloat16(2 ** -24)).toBe(0x0001); // the smallest subnormal
    expect(numberToBfloat16(1)).toBe(0x3f80);
    expect(Number.isNaN(float16ToNumber(numberToFloat16(NaN)))).toBe(true);
    // Every finite half value, sorted: the encoder must pick the nearest one for arbitrary inputs.
    const halves = Array.from({ length: 0x7c00 }, (_, bits) => float16ToNumber(bits));
    let seed = 12345;
    for (let n = 0; n < 2000; n++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const value = Math.fround(((seed / 2 ** 32) * 2 - 1) * 2 ** ((n % 30) - 20));
      const encoded = float16ToNumber(numberToFloat16(value));
      const magnitude = Math.abs(value);
      let best = Infinity;
      for (const h of halves) best = Math.min(best, Math.abs(h - magnitude));
      expect(Math.abs(Math.abs(encoded) - magnitude)).toBeLessThanOrEqual(best);
    }
  });

  it('reads F16 and BF16 files back to float32', () => {
    const values = Float32Array.from([0.1, -3.5, 1000, 1 / 3]);
    const f16 = parseSafetensors(writeSafetensors([{ name: 'w', shape: [4], data: values, dtype: 'F16' }])).readFloat32('w');
    const bf16 = parseSafetensors(writeSafetensors([{ name: 'w', shape: [4], data: values, dtype: 'BF16' }])).readFloat32('w');
    values.forEach((v, i) => {
      expect(Math.abs((f16[i] ?? NaN) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11);
      expect(Math.abs((bf16[i] ?? NaN) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -8);
    });
  });
});

describe('broken files give a CheckpointError naming the file and the problem', () => {
  const good = () => writeSafetensors([{ name: 'w', shape: [2, 3], data: new Float32Array(6) }]);
  it('too short for the length field', () => {
    expect(errorOf(() => parseSafetensors(new Uint8Array(5), 'm.safetensors')).message).toBe('m.safetensors: truncated: 5 bytes, too short to hold the 8-byte header length');
  });
  it('a header length beyond the end of the file', () => {
    const bytes = good();
    new DataView(bytes.buffer).setBigUint64(0, 10_000n, true);
    expect(errorOf(() => parseSafetensors(bytes)).message).toMatch(/^model\.safetensors: truncated or not a safetensors file: the header claims 10000 bytes/);
  });
  it('a header that is not JSON', () => {
    expect(errorOf(() => parseSafetensors(rawFile(null, 0, '{"w": [1,'))).problem).toMatch(/^the header is not valid JSON/);
  });
  it('an unknown dtype', () => {
    const bytes = rawFile({ w: { dtype: 'F99', shape: [1], data_offsets: [0, 4] } }, 4);
    expect(errorOf(() => parseSafetensors(bytes)).problem).toBe('tensor w: unknown dtype "F99"');
  });
  it('a shape that is not a list of sizes', () => {
    const bytes = rawFile({ w: { dtype: 'F32', shape: [2, -1], data_offsets: [0, 8] } }, 8);
    expect(errorOf(() => parseSafetensors(bytes)).problem).toMatch(/^tensor w: shape \[2,-1\] is not a list of non-negative integers/);
  });
  it('offsets that disagree with dtype × shape', () => {
    const bytes = rawFile({ w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, 24);
    expect(errorOf(() => parseSafetensors(bytes)).problem).toBe('tensor w: the header lies about its size: offsets span 20 bytes but F32 [2,3] needs 24');
  });
  it('data cut short', () => {
    const bytes = good().subarray(0, good().length - 4);
    expect(errorOf(() => parseSafetensors(bytes)).problem).toMatch(/^truncated: tensor w ends at byte 24 of the data but the data has only 20 bytes/);
  });
  it('overlapping tensors', () => {
    const bytes = rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12);
    expect(errorOf(() => parseSafetensors(bytes)).problem).toBe('the header lies about offsets: tensors a and b overlap');
  });
  it('a weight stored as integers', () => {
    const bytes = rawFile({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, 8);
    expect(errorOf(() => parseSafetensors(bytes).readFloat32('w')).problem).toBe('tensor w: dtype I64 is not supported for weights (use F32, F16 or BF16)');
  });
  it('random bytes never escape as anything but a CheckpointError', () => {
    let seed = 99;
    for (let n = 0; n < 300; n++) {
      const bytes = good();
      for (let k = 0; k < 3; k++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        bytes[seed % bytes.length] = seed >>> 24;
      }
      try {
        const file = parseSafetensors(bytes);
        for (const name of file.tensors.keys()) file.readFloat32(name);
      } catch (error) {
        expect(error).toBeInstanceOf(CheckpointError);
      }
    }
  });
});
