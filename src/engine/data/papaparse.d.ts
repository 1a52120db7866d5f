// The part of Papa Parse that the engine uses, typed here because @types/papaparse references Node's
// types (`/// <reference types="node" />`), which would let Node globals into the engine's typecheck.
// upload.ts imports the library by its file path so that the compiler takes these declarations.
declare module 'papaparse/papaparse.js' {
  interface ParseError {
    type: 'Quotes' | 'Delimiter' | 'FieldMismatch';
    code: string;
    message: string;
    row?: number;
    index?: number;
  }
  interface ParseMeta {
    delimiter: string;
    linebreak: string;
    /** Characters consumed so far: in `step`, the offset just past the current row. */
    cursor: number;
  }
  interface StepResult {
    data: string[];
    errors: ParseError[];
    meta: ParseMeta;
  }
  interface ParseConfig {
    /** '' (or absent) guesses among `delimitersToGuess`. */
    delimiter?: string;
    delimitersToGuess?: string[];
    quoteChar?: string;
    escapeChar?: string;
    newline?: string;
    skipEmptyLines?: boolean | 'greedy';
    step?: (result: StepResult) => void;
  }
  interface ParseResult {
    data: string[][];
    errors: ParseError[];
    meta: ParseMeta;
  }
  const Papa: { parse(input: string, config?: ParseConfig): ParseResult };
  export default Papa;
}
