"""Hand-written reader/writer for the safetensors file format (no `safetensors` package).

Layout of a file:
    8 bytes   little-endian uint64 N = length of the JSON header in bytes
    N bytes   UTF-8 JSON: {"__metadata__": {str: str, ...}  (optional),
                           "<name>": {"dtype": "F32"|"F16"|"BF16"|...,
                                      "shape": [d0, d1, ...],
                                      "data_offsets": [begin, end]}, ...}
              padded at the end with spaces so that 8 + N is a multiple of 8
    rest      raw little-endian tensor bytes; offsets are relative to the start of
              this data section. The writer lays tensors out contiguously in
              header order.

Supported dtypes for writing: F32, F16, BF16. BF16 is the top 16 bits of the
float32 bit pattern after round-to-nearest-even. Reading also accepts F64, I64,
I32, I16, I8, U8 and BOOL. Tensors are returned as float32/numpy or torch.
"""

import json
import struct
from collections import OrderedDict
from typing import Dict, Optional, Tuple

import numpy as np

DTYPE_SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}
NUMPY_DTYPES = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U8": "u1",
    "BOOL": "?",
}


def float32_to_bf16_bits(x: np.ndarray) -> np.ndarray:
    """float32 array -> uint16 bfloat16 bit patterns, round-to-nearest-even.
    NaNs stay NaN (quiet bit forced); infinities and overflow follow IEEE rounding."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    lsb = (bits >> 16) & 1
    rounded = ((bits + 0x7FFF + lsb) >> 16).astype(np.uint16)
    is_nan = np.isnan(x)
    if np.any(is_nan):
        rounded = np.where(is_nan, ((bits >> 16).astype(np.uint16) | np.uint16(0x0040)), rounded)
    return rounded.astype(np.uint16)


def bf16_bits_to_float32(bits: np.ndarray) -> np.ndarray:
    """uint16 bfloat16 bit patterns -> float32 (exact)."""
    return (bits.astype(np.uint32) << 16).view(np.float32)


def encode_tensor(array: np.ndarray, dtype: str) -> bytes:
    """Serialize a float array to little-endian bytes of the given safetensors dtype."""
    a = np.asarray(array)
    if dtype == "F32":
        return np.ascontiguousarray(a, dtype="<f4").tobytes()
    if dtype == "F16":
        return np.ascontiguousarray(a.astype(np.float32).astype("<f2")).tobytes()  # numpy casts with RNE
    if dtype == "BF16":
        return float32_to_bf16_bits(a.astype(np.float32)).astype("<u2").tobytes()
    if dtype in NUMPY_DTYPES:
        return np.ascontiguousarray(a, dtype=NUMPY_DTYPES[dtype]).tobytes()
    raise ValueError(f"unsupported dtype {dtype}")


def _to_numpy(t) -> np.ndarray:
    """Accept numpy arrays or torch tensors."""
    if hasattr(t, "detach"):
        t = t.detach().cpu()
        if str(t.dtype) == "torch.bfloat16":
            t = t.float()
        return t.numpy()
    return np.asarray(t)


def save_file(
    tensors: Dict[str, object],
    path: str,
    dtype: str = "F32",
    metadata: Optional[Dict[str, str]] = None,
    dtypes: Optional[Dict[str, str]] = None,
) -> None:
    """Write `tensors` (name -> numpy array or torch tensor, in the desired order) to `path`.
    `dtype` applies to every tensor unless overridden per name in `dtypes`."""
    header = OrderedDict()
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("__metadata__ must map str to str")
        header["__metadata__"] = dict(metadata)
    chunks = []
    offset = 0
    for name, tensor in tensors.items():
        arr = _to_numpy(tensor)
        dt = (dtypes or {}).get(name, dtype)
        data = encode_tensor(arr, dt)
        assert len(data) == int(np.prod(arr.shape, dtype=np.int64)) * DTYPE_SIZES[dt]
        header[name] = {"dtype": dt, "shape": [int(d) for d in arr.shape], "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    header_bytes += b" " * ((8 - (8 + len(header_bytes)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for c in chunks:
            f.write(c)


def read_header(blob: bytes) -> Tuple[Dict, Dict[str, str], int]:
    """Parse the header of a safetensors byte string.
    Returns (tensor entries in file order, metadata, start of the data section)."""
    if len(blob) < 8:
        raise ValueError("file too short")
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        raise ValueError("header length exceeds file size")
    header = json.loads(blob[8 : 8 + n].decode("utf-8"), object_pairs_hook=OrderedDict)
    metadata = header.pop("__metadata__", None) or {}
    return header, metadata, 8 + n


def load_bytes(blob: bytes) -> Tuple["OrderedDict[str, np.ndarray]", Dict[str, str], Dict[str, str]]:
    """Decode every tensor. Returns (name -> float32/int numpy array, metadata, name -> stored dtype).
    Half-precision tensors are widened to float32 exactly."""
    header, metadata, start = read_header(blob)
    data_len = len(blob) - start
    out = OrderedDict()
    stored = {}
    for name, info in header.items():
        dt, shape = info["dtype"], info["shape"]
        begin, end = info["data_offsets"]
        count = int(np.prod(shape, dtype=np.int64))
        if not (0 <= begin <= end <= data_len) or end - begin != count * DTYPE_SIZES[dt]:
            raise ValueError(f"bad data_offsets for {name}")
        raw = blob[start + begin : start + end]
        if dt == "BF16":
            arr = bf16_bits_to_float32(np.frombuffer(raw, dtype="<u2"))
        elif dt == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=NUMPY_DTYPES[dt]).copy()
        out[name] = arr.reshape(shape)
        stored[name] = dt
    return out, metadata, stored


def load_file(path: str):
    """Read `path`; returns (OrderedDict name -> numpy array, metadata, name -> stored dtype)."""
    with open(path, "rb") as f:
        return load_bytes(f.read())


def load_torch(path: str):
    """Read `path` into torch float32 tensors; returns (OrderedDict name -> tensor, metadata)."""
    import torch

    arrays, metadata, _ = load_file(path)
    return OrderedDict((k, torch.from_numpy(np.array(v))) for k, v in arrays.items()), metadata


def roundtrip_dtype(array: np.ndarray, dtype: str) -> np.ndarray:
    """What a float32 array becomes after being stored as `dtype` and read back as float32."""
    a = np.asarray(array, dtype=np.float32)
    if dtype == "F32":
        return a.copy()
    if dtype == "F16":
        return a.astype(np.float16).astype(np.float32)
    if dtype == "BF16":
        return bf16_bits_to_float32(float32_to_bf16_bits(a)).reshape(a.shape)
    raise ValueError(dtype)
