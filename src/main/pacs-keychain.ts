import { safeStorage } from 'electron';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * Passwords and tokens of configured PACS, encrypted with the operating system's keychain
 * (Electron's safeStorage: DPAPI on Windows, Keychain on macOS, libsecret/kwallet on
 * Linux) in one file of the app's user-data folder, never in the workspace. Keyed by
 * workspace folder and PACS name. Where the OS offers no encryption, nothing is written:
 * the secret lives in the engine's memory until the app quits.
 */
type Stored = Record<string, Record<string, string>>;

export class PacsKeychain {
  constructor(
    private readonly file: string,
    private readonly workspace: string,
  ) {}

  /** Whether the secret was kept (false: the OS offers no encryption; memory only). */
  remember(name: string, secret: string): boolean {
    if (!safeStorage.isEncryptionAvailable()) return false;
    const all = this.read();
    all[this.workspace] = { ...all[this.workspace], [name]: safeStorage.encryptString(secret).toString('base64') };
    this.write(all);
    return true;
  }

  forget(name: string): void {
    const all = this.read();
    if (!all[this.workspace]?.[name]) return;
    delete all[this.workspace][name];
    this.write(all);
  }

  /** This workspace's secrets, decrypted (those that no longer decrypt are left out). */
  secrets(): [name: string, secret: string][] {
    if (!safeStorage.isEncryptionAvailable()) return [];
    const kept: [string, string][] = [];
    for (const [name, sealed] of Object.entries(this.read()[this.workspace] ?? {})) {
      try {
        kept.push([name, safeStorage.decryptString(Buffer.from(sealed, 'base64'))]);
      } catch {
        // sealed by another OS user or keychain: ask for it again
      }
    }
    return kept;
  }

  private read(): Stored {
    if (!existsSync(this.file)) return {};
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as Stored;
    } catch {
      return {};
    }
  }

  private write(all: Stored): void {
    const temp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(temp, JSON.stringify(all), { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, this.file);
  }
}
