/**
 * Runs `task` once the page has nothing else to do (at the latest after `timeoutMs`):
 * work a reload does not need for its first screen (the viewer's code, the GPU offer)
 * then never holds the list back.
 */
export function whenIdle(task: () => void, timeoutMs = 2000): void {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(task, { timeout: timeoutMs });
  else setTimeout(task, Math.min(500, timeoutMs));
}
