import { describe, expect, it } from 'vitest';
import { pageWithPreload } from './page-preload.ts';

const PAGE = Buffer.from('<!doctype html><html><head><title>SSMTL Studio</title></head><body><div id="app"></div></body></html>');

/** What a browser's parser would take as the element's text: up to the first `</script`. */
function elementText(html: string): string {
  const start = html.indexOf('id="ssmtl-preload">') + 'id="ssmtl-preload">'.length;
  return html.slice(start, html.toLowerCase().indexOf('</script', start));
}

describe('the page serve sends, with its first answers written in', () => {
  it('carries the answers as JSON in a script element that is never run, before </head>', () => {
    const preload = { listSeries: [{ id: '1.2.3', description: 'AX T1' }], workspace: { dir: '/ws' } };
    const html = pageWithPreload(PAGE, preload as never).toString();
    expect(html).toMatch(/<script type="application\/json" id="ssmtl-preload">.*<\/script><\/head>/);
    expect(JSON.parse(elementText(html))).toEqual(preload);
    expect(html.endsWith('<body><div id="app"></div></body></html>')).toBe(true);
  });

  it('keeps text from DICOM files from closing the element or adding markup', () => {
    const description = '</script><script>alert(1)</script><!-- x';
    const html = pageWithPreload(PAGE, { listSeries: [{ id: 'A', description }] } as never).toString();
    expect(html).not.toContain('<script>alert(1)');
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(JSON.parse(elementText(html))).toEqual({ listSeries: [{ id: 'A', description }] });
  });

  it('leaves a page without a head as it is', () => {
    const bare = Buffer.from('<p>no head</p>');
    expect(pageWithPreload(bare, { workspace: {} } as never)).toBe(bare);
  });
});
