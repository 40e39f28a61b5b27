import { describeCodecFailure, PixelDataError } from './errors.ts';

/**
 * The wasm codecs, each instantiated once, on first use, and shared. They are the
 * emscripten builds from @cornerstonejs/codec-*: under Node (CLI, utility process,
 * tests) emscripten reads its .wasm from beside its .js by itself; in a browser or
 * worker bundle, call configurePixelCodecs({ locateFile }) first so it can find the
 * .wasm URL the bundler emitted.
 */

type Factory<M> = (options?: EmscriptenModuleOptions) => Promise<M>;

/** The codecs' own logging is dropped: OpenJPEG prints [INFO] lines to stdout, which would corrupt `--json` output. */
const QUIET: EmscriptenModuleOptions = { print: () => {}, printErr: () => {} };
let moduleOptions: EmscriptenModuleOptions = QUIET;
const loaders: Array<{ reset(): void }> = [];

/** Options passed to every codec module at instantiation (call before the first decode). */
export function configurePixelCodecs(options: EmscriptenModuleOptions): void {
  moduleOptions = { ...QUIET, ...options };
  for (const loader of loaders) loader.reset();
}

export interface CodecLoader<M> {
  /** The instantiated module; instantiates it on the first call. */
  get(): Promise<M>;
  /** Drops the instance, e.g. after it aborted, so the next get() starts afresh. */
  reset(): void;
}

function lazyCodec<M>(name: string, importModule: () => Promise<{ default: Factory<M> }>): CodecLoader<M> {
  let instance: Promise<M> | undefined;
  const loader: CodecLoader<M> = {
    get() {
      instance ??= importModule()
        .then((module) => module.default({ ...moduleOptions }))
        .catch((error: unknown) => {
          instance = undefined;
          throw new PixelDataError(`the ${name} decoder could not be loaded: ${describeCodecFailure(error)}`, { cause: error });
        });
      return instance;
    },
    reset() {
      instance = undefined;
    },
  };
  loaders.push(loader);
  return loader;
}

export const openJpeg = lazyCodec('JPEG 2000 (OpenJPEG)', () => import('@cornerstonejs/codec-openjpeg/decodewasmjs'));
export const charLs = lazyCodec('JPEG-LS (CharLS)', () => import('@cornerstonejs/codec-charls/decodewasmjs'));
export const libJpegTurbo = lazyCodec('JPEG (libjpeg-turbo)', () => import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs'));

/**
 * Runs one embind decoder over one frame and returns a copy of the decoded bytes.
 * `checkInfo` sees the frame info before decoding when `readHeader` is given, else right
 * after decoding, and throws to refuse the frame. Any codec failure becomes a
 * PixelDataError; after a wasm trap or abort the module is dropped, since its memory may
 * be left inconsistent, and the next frame instantiates a fresh one.
 */
export function runCodec<D extends CodecDecoder>(
  codecName: string,
  loader: CodecLoader<unknown>,
  decoder: D,
  encoded: Uint8Array,
  checkInfo: (info: CodecFrameInfo) => void,
  readHeader?: (decoder: D) => void,
): { info: CodecFrameInfo; bytes: Uint8Array } {
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    if (readHeader) {
      readHeader(decoder);
      checkInfo(decoder.getFrameInfo());
    }
    decoder.decode();
    const info = decoder.getFrameInfo();
    if (!readHeader) checkInfo(info);
    return { info, bytes: decoder.getDecodedBuffer().slice() };
  } catch (error) {
    if (error instanceof PixelDataError) throw error;
    if (isWasmAbort(error)) loader.reset();
    throw new PixelDataError(`${codecName} data could not be decoded: ${describeCodecFailure(error)}`, { cause: error });
  } finally {
    try {
      decoder.delete();
    } catch {
      // The module may already be unusable after an abort; it has been reset above.
    }
  }
}

function isWasmAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'RuntimeError' || /\babort/i.test(error.message));
}

/** The decoded bytes as the typed array the codec wrote (native byte order, i.e. little endian). */
export function decodedSamples(bytes: Uint8Array, info: CodecFrameInfo): ArrayLike<number> {
  if (info.bitsPerSample <= 8) return info.isSigned ? new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length) : bytes;
  const count = bytes.length >> 1;
  return info.isSigned ? new Int16Array(bytes.buffer, bytes.byteOffset, count) : new Uint16Array(bytes.buffer, bytes.byteOffset, count);
}
