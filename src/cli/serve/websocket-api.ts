import type { RawData, WebSocket } from 'ws';
import { InputError, errorMessage } from '../../shared/errors.ts';
import {
  decodeMessage,
  encodeMessage,
  PRELOADED_METHODS,
  type RpcPreload,
  type RpcRequest,
  type RpcServerMessage,
} from '../../shared/rpc.ts';
import type { StudioService } from '../../engine/node/studio/studio-service.ts';

/** Largest request frame: a 4096² uint16 mask in base64, with room to spare. */
export const MAX_FRAME_BYTES = 48 * 1024 * 1024;

/**
 * How much one connection may hold of the server. A client that sends requests faster
 * than they are answered waits (its requests are no longer read); one that does not
 * read what it is sent stops being read once `pauseBytes` wait for it, and is closed
 * once `maxBytes` do or it has not caught up for `stallMs`. maxBytes must exceed one
 * answer of gpuWorkerDownload (a 16 MiB part in base64, about 22 MiB).
 */
export interface ConnectionLimits {
  /** requests of one connection being answered at once; the rest wait, unread */
  inFlight: number;
  pauseBytes: number;
  maxBytes: number;
  stallMs: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = { inFlight: 8, pauseBytes: 8 * 2 ** 20, maxBytes: 64 * 2 ** 20, stallMs: 30_000 };

/** The answers to the calls a page makes first (rpc.ts PRELOADED_METHODS); failed ones are left out. */
export async function preloadAnswers(service: StudioService): Promise<RpcPreload['preload']> {
  const answers = await Promise.all(
    PRELOADED_METHODS.map((method) =>
      service.call(method, []).then(
        (result) => [method, result] as const,
        () => null,
      ),
    ),
  );
  return Object.fromEntries(answers.filter((answer) => answer !== null));
}

/**
 * One browser tab's connection: requests in, answers and pushed events out (shared/rpc.ts).
 * Every request is validated by the service before it reaches the engine; an error
 * answers that request only and never closes the connection. A frame that breaks the
 * WebSocket protocol (over MAX_FRAME_BYTES, invalid UTF-8, reserved bits…) closes that
 * connection alone: ws has already sent the close code (1009, 1007, 1002) when it
 * emits 'error', and without a listener that event would end the whole process.
 *
 * No connection can starve the others (ConnectionLimits): requests are answered a few
 * at a time per connection, each batch in its own turn of the event loop, and what a
 * client does not read is bounded.
 */
export function serveWebSocket(
  socket: WebSocket,
  service: StudioService,
  log: (line: string) => void,
  limits: ConnectionLimits = DEFAULT_LIMITS,
): void {
  /** bytes handed to ws and not yet written out to the operating system */
  let unsent = 0;
  let stalledSince: number | null = null;
  let inFlight = 0;
  const waiting: { data: RawData; isBinary: boolean }[] = [];
  let reading = true;
  let pumpScheduled = false;

  const updateReading = () => {
    const behind = unsent > limits.pauseBytes;
    stalledSince = behind ? (stalledSince ?? Date.now()) : null;
    const shouldRead = !behind && waiting.length === 0;
    if (shouldRead !== reading) {
      reading = shouldRead;
      if (reading) socket.resume();
      else socket.pause();
    }
  };
  const drop = (why: string) => {
    log(`WebSocket client dropped: ${why}`);
    socket.terminate();
  };
  const stallCheck = setInterval(
    () => {
      if (stalledSince !== null && Date.now() - stalledSince > limits.stallMs)
        drop(`it has not read ${unsent} bytes for ${Math.round(limits.stallMs / 1000)} s`);
    },
    Math.min(1000, limits.stallMs),
  );

  const send = (message: RpcServerMessage) => {
    if (socket.readyState !== socket.OPEN) return;
    const text = encodeMessage(message);
    unsent += text.length;
    socket.send(text, () => {
      unsent -= text.length;
      updateReading();
    });
    if (unsent > limits.maxBytes) drop(`${unsent} bytes wait for it to read them`);
    else updateReading();
  };
  // The first message: what every page asks for first (rpc.ts). Its calls finish before
  // any request or event of this connection can be handled (they run no I/O).
  void preloadAnswers(service).then((preload) => send({ preload }));
  // Events for a GPU worker go only to the connection that registered it.
  const gpuWorkers = new Set<string>();
  const unsubscribe = service.onEvent((event) => {
    if (event.type !== 'gpu-task' || gpuWorkers.has(event.workerId)) send({ event });
  });
  socket.on('error', (error: Error & { code?: string }) => {
    log(`WebSocket closed after a protocol error (${error.code ?? 'no code'}): ${error.message}`);
  });
  socket.on('close', () => {
    clearInterval(stallCheck);
    waiting.length = 0;
    unsubscribe();
    // The tab closed or the connection dropped: its GPU worker is gone with it.
    for (const workerId of gpuWorkers) void service.releaseGpuWorker(workerId);
  });

  const answer = (data: RawData, isBinary: boolean): Promise<void> => {
    let request: RpcRequest;
    try {
      if (isBinary) throw new InputError('binary frames are not part of the protocol');
      request = decodeMessage(data.toString()) as RpcRequest;
      if (typeof request !== 'object' || request === null || typeof request.id !== 'number')
        throw new InputError('expected { id, method, params }');
    } catch (error) {
      send({ id: -1, error: `bad request: ${errorMessage(error)}` });
      return Promise.resolve();
    }
    return service.call(request.method, request.params).then(
      (result) => {
        if (request.method === 'registerGpuWorker') gpuWorkers.add((result as { workerId: string }).workerId);
        send({ id: request.id, result: result ?? null });
      },
      (error: unknown) => {
        if (!(error instanceof InputError)) log(`${String(request.method)}: ${errorMessage(error)}`);
        send({ id: request.id, error: errorMessage(error) });
      },
    );
  };
  // A batch per connection per turn of the event loop: a flood waits its turn.
  const pump = () => {
    pumpScheduled = false;
    while (inFlight < limits.inFlight && waiting.length > 0 && socket.readyState === socket.OPEN) {
      const { data, isBinary } = waiting.shift()!;
      inFlight++;
      void answer(data, isBinary).finally(() => {
        inFlight--;
        schedulePump();
      });
    }
    updateReading();
  };
  const schedulePump = () => {
    if (!pumpScheduled && waiting.length > 0) {
      pumpScheduled = true;
      setImmediate(pump);
    } else updateReading();
  };
  socket.on('message', (data, isBinary) => {
    waiting.push({ data, isBinary });
    if (inFlight < limits.inFlight && waiting.length === 1) pump();
    else schedulePump();
  });
}
