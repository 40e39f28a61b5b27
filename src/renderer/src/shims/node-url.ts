/** Enough of Node's `url` for the browser build (see node-events.ts for why it is needed). */
export function domainToASCII(domain: string): string {
  try {
    return new URL(`http://${domain}`).hostname;
  } catch {
    return '';
  }
}

export default { domainToASCII };
