/**
 * The file a URL path names inside a served folder (the built interface), as a relative
 * path with '/' separators, or null when it could leave that folder: "..", encoded
 * slashes or backslashes, NUL, drive letters. serve's static files and Electron's app
 * protocol both answer only what this lets through.
 */
export function confinedRelativePath(urlPath: string, index = 'index.html'): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..' || /^[A-Za-z]:$/.test(s))) return null;
  return segments.length === 0 ? index : segments.join('/');
}
