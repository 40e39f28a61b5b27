import { describe, expect, it } from 'vitest';
import { confinedRelativePath } from './confined-path.ts';

describe('confinedRelativePath', () => {
  it('maps URL paths to files inside the served folder', () => {
    expect(confinedRelativePath('/')).toBe('index.html');
    expect(confinedRelativePath('/compute.html')).toBe('compute.html');
    expect(confinedRelativePath('/assets/index-abc.js')).toBe('assets/index-abc.js');
    expect(confinedRelativePath('/assets/./a%20b.js')).toBe('assets/a b.js');
  });

  it('refuses every way out of it', () => {
    for (const path of [
      '/../secret',
      '/assets/../../etc/passwd',
      '/%2e%2e/x',
      '/a/%2E%2E/%2E%2E/x',
      '/..%2fx',
      '/a%5c..%5cx',
      '/x%00.html',
      '/C:/Windows/win.ini',
      '/%E0%A4%A',
    ]) {
      expect(confinedRelativePath(path), path).toBeNull();
    }
  });
});
