import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A loopback TCP relay to a server that goes dead after `budget` bytes have come back
 * from it: every connection is cut there, and later ones are closed at once. It makes
 * "the PACS stopped half-way through a series" happen at the same byte every run, for
 * either protocol.
 */
export interface CuttingProxy {
  port: number;
  /** bytes relayed from the server so far */
  relayed(): number;
  close(): Promise<void>;
}

export async function startCuttingProxy(targetPort: number, budget: number): Promise<CuttingProxy> {
  let relayed = 0;
  let dead = false;
  const sockets = new Set<Socket>();
  const cutAll = () => {
    dead = true;
    for (const socket of sockets) socket.destroy();
  };
  const server = createServer((client) => {
    if (dead) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const forget = () => {
      sockets.delete(client);
      sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', forget).on('error', forget);
    upstream.on('close', forget).on('error', forget);
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => {
      const allowed = Math.max(0, budget - relayed);
      relayed += Math.min(allowed, chunk.length);
      if (allowed >= chunk.length) client.write(chunk);
      else client.write(chunk.subarray(0, allowed), cutAll);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    relayed: () => relayed,
    close: () =>
      new Promise((resolve) => {
        cutAll();
        server.close(() => resolve());
      }),
  };
}
