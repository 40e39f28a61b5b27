import type { WebSocket } from 'ws';
import { InputError, errorMessage } from '../../shared/errors.ts';
import { decodeBytes, encodeBytes, type RpcPush, type RpcRequest, type RpcResponse } from '../../shared/rpc.ts';
import type { StudioService } from '../../engine/node/studio/studio-service.ts';

/** Largest request frame: a 4096² uint16 mask in base64, with room to spare. */
export const MAX_FRAME_BYTES = 48 * 1024 * 1024;

/**
 * One browser tab's connection: requests in, answers and pushed events out (shared/rpc.ts).
 * Every request is validated by the service before it reaches the engine; an error
 * answers that request only and never closes the connection. A frame that breaks the
 * WebSocket protocol (over MAX_FRAME_BYTES, invalid UTF-8, reserved bits…) closes that
 * connection alone: ws has already sent the close code (1009, 1007, 1002) when it
 * emits 'error', and without a listener that event would end the whole process.
 */
export function serveWebSocket(socket: WebSocket, service: StudioService, log: (line: string) => void): void {
  const send = (message: RpcResponse | RpcPush) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message, encodeBytes));
  };
  // Events for a GPU worker go only to the connection that registered it.
  const gpuWorkers = new Set<string>();
  const unsubscribe = service.onEvent((event) => {
    if (event.type !== 'gpu-task' || gpuWorkers.has(event.workerId)) send({ event });
  });
  socket.on('error', (error: Error & { code?: string }) => {
    log(`WebSocket closed after a protocol error (${error.code ?? 'no code'}): ${error.message}`);
  });
  socket.on('close', () => {
    unsubscribe();
    // The tab closed or the connection dropped: its GPU worker is gone with it.
    for (const workerId of gpuWorkers) void service.releaseGpuWorker(workerId);
  });
  socket.on('message', (data, isBinary) => {
    let request: RpcRequest;
    try {
      if (isBinary) throw new InputError('binary frames are not part of the protocol');
      request = JSON.parse(data.toString(), decodeBytes) as RpcRequest;
      if (typeof request !== 'object' || request === null || typeof request.id !== 'number')
        throw new InputError('expected { id, method, params }');
    } catch (error) {
      send({ id: -1, error: `bad request: ${errorMessage(error)}` });
      return;
    }
    service.call(request.method, request.params).then(
      (result) => {
        if (request.method === 'registerGpuWorker') gpuWorkers.add((result as { workerId: string }).workerId);
        send({ id: request.id, result: result ?? null });
      },
      (error: unknown) => {
        if (!(error instanceof InputError)) log(`${String(request.method)}: ${errorMessage(error)}`);
        send({ id: request.id, error: errorMessage(error) });
      },
    );
  });
}
