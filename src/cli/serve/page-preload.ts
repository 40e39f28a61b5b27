import { PAGE_PRELOAD_ELEMENT_ID, type RpcPreload } from '../../shared/rpc.ts';

/**
 * The interface's page with the answers a page asks for first written into it (rpc.ts
 * PAGE_PRELOAD_ELEMENT_ID): the Library is drawn from them as soon as the page's script
 * runs, without waiting for the WebSocket to open and answer (about 50 ms of a reload).
 *
 * The answers hold patient IDs and series descriptions, text a DICOM file chose: every
 * `<` is written as \u003c, so no value can close the script element (`</script>`) or
 * open a comment, and the element's type keeps the browser from running it.
 */
export function pageWithPreload(html: Buffer, preload: RpcPreload['preload']): Buffer {
  const page = html.toString('utf8');
  const at = page.indexOf('</head>');
  if (at < 0) return html;
  const json = JSON.stringify(preload).replace(/</g, '\\u003c');
  const element = `<script type="application/json" id="${PAGE_PRELOAD_ELEMENT_ID}">${json}</script>`;
  return Buffer.from(page.slice(0, at) + element + page.slice(at), 'utf8');
}
