// Web APIs that every place the engine runs has (browsers, Web Workers, Node 20) but that the
// ES2022 lib does not declare. Declared here, minimally, instead of pulling in the DOM lib.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer): string;
}
