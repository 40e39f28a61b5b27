import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The workspace used when none is named: the same for `npm start`, the packaged app and
 * `ssmtl serve`, so they all open the same data. SSMTL_WORKSPACE names the folder;
 * SSMTL_HOME moves the app's folder (default ~/.ssmtl-studio) that holds it.
 */
export function defaultWorkspace(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.SSMTL_HOME ?? join(homedir(), '.ssmtl-studio');
  return env.SSMTL_WORKSPACE ?? join(home, 'workspace');
}
