// Types for the codec packages, which ship none. Only what decoding uses is declared.

/** The frame description every @cornerstonejs/codec-* decoder returns. */
interface CodecFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
}

/** An embind-wrapped C++ decoder; delete() frees its wasm memory. */
interface CodecDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): CodecFrameInfo;
  delete(): void;
}

interface EmscriptenModuleOptions {
  /** Where the .wasm file is; emscripten finds it next to the .js under Node. */
  locateFile?: (path: string, scriptDirectory: string) => string;
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** stdout and stderr of the C code (OpenJPEG logs [INFO] lines); default console.log/error. */
  print?: (text: string) => void;
  printErr?: (text: string) => void;
}

declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  interface J2KDecoder extends CodecDecoder {
    readHeader(): void;
  }
  const factory: (options?: EmscriptenModuleOptions) => Promise<{ J2KDecoder: new () => J2KDecoder }>;
  export default factory;
}

declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: (options?: EmscriptenModuleOptions) => Promise<{ JpegLSDecoder: new () => CodecDecoder }>;
  export default factory;
}

declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  interface JPEGDecoder extends CodecDecoder {
    readHeader(): void;
  }
  const factory: (options?: EmscriptenModuleOptions) => Promise<{ JPEGDecoder: new () => JPEGDecoder }>;
  export default factory;
}

declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    decode(buffer: ArrayBuffer, offset?: number, length?: number, numBytes?: number): Uint8Array | Uint16Array;
  }
}
