/**
 * An engine process's line to the process that started it: the one place that knows
 * the two ways a parent talks to us. A Node parent (`fork`: the CLI, `serve`, the engine
 * host) uses process.send; Electron's main process, starting the engine host as a
 * utilityProcess, uses process.parentPort.
 *
 * Sending never throws and never crashes the process when the parent has died: a write
 * to a closed channel (EPIPE) only marks the parent gone, and `send` resolves once the
 * message was handed to the operating system, so a process exits only after its last
 * message is on its way.
 */
export interface ParentLink<Incoming, Outgoing> {
  /** resolves once handed to the OS (or at once when the parent is gone); never rejects */
  send(message: Outgoing): Promise<void>;
  onMessage(listener: (message: Incoming) => void): void;
  /** the parent died or closed the channel; runs at most once */
  onGone(listener: () => void): void;
  readonly gone: boolean;
}

interface ElectronParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

export function connectToParent<Incoming, Outgoing>(): ParentLink<Incoming, Outgoing> {
  const goneListeners: (() => void)[] = [];
  let gone = false;
  const markGone = () => {
    if (gone) return;
    gone = true;
    for (const listener of goneListeners) listener();
  };
  // Library chatter on stdout/stderr must not end a job whose reader went away (EPIPE).
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

  const parentPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (parentPort) {
    // Electron ends a utility process together with its parent, and posting has no
    // delivery callback: a parent must not wait for a message posted just before exit.
    return {
      send: async (message) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on('message', (e) => listener(e.data as Incoming)),
      onGone: (listener) => void goneListeners.push(listener),
      get gone() {
        return false;
      },
    };
  }

  if (!process.send) throw new Error('this engine process was started without a channel to its parent');
  process.on('disconnect', markGone);
  return {
    send: (message) =>
      new Promise<void>((resolve) => {
        if (gone || !process.connected) return resolve();
        // With a callback, a failed write is reported here instead of as an 'error' event
        // on `process`, which would end the process as an uncaught exception.
        process.send!(message, undefined, {}, (error) => {
          if (error) markGone();
          resolve();
        });
      }),
    onMessage: (listener) => void process.on('message', (message) => listener(message as Incoming)),
    onGone: (listener) => {
      goneListeners.push(listener);
      if (gone) listener();
    },
    get gone() {
      return gone;
    },
  };
}
