import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PacsEntry } from '../../../shared/pacs.ts';
import { Workspace } from '../workspace/workspace.ts';
import {
  entryFromAddress,
  listPacsEntries,
  removePacsEntry,
  requirePacsEntry,
  savePacsEntry,
  secretFromEnvironment,
} from './pacs-entries.ts';

describe('entryFromAddress', () => {
  it('reads a DICOMweb base URL and a DIMSE address', () => {
    expect(entryFromAddress('a', 'https://pacs.example:8443/dicom-web/')).toMatchObject({
      protocol: 'dicomweb',
      url: 'https://pacs.example:8443/dicom-web',
      tls: true,
      callingAet: 'SSMTL',
      auth: { kind: 'none' },
    });
    expect(entryFromAddress('b', 'dicom://PACS%20ONE@10.0.0.5:11112', { callingAet: 'WS7', tls: true })).toMatchObject({
      protocol: 'dimse',
      calledAet: 'PACS ONE',
      host: '10.0.0.5',
      port: 11112,
      callingAet: 'WS7',
      tls: true,
    });
    expect(entryFromAddress('c', 'dicom://PACS@[::1]:104').host).toBe('::1');
  });

  it('refuses credentials in the address, a missing port or AE title, and other schemes, naming the flag', () => {
    expect(() => entryFromAddress('a', 'https://bob:secret@pacs.example/dicom-web')).toThrow(
      /--pacs https:\/\/pacs\.example….*no user or password/,
    );
    expect(() => entryFromAddress('a', 'https://bob:secret@pacs.example/dicom-web')).not.toThrow(/secret/);
    expect(() => entryFromAddress('a', 'dicom://PACS@host')).toThrow(/give the port/);
    expect(() => entryFromAddress('a', 'dicom://host:104')).toThrow(/AE title/);
    expect(() => entryFromAddress('a', 'dicom://WAY-TOO-LONG-AE-TITLE@host:104')).toThrow(/1-16 characters/);
    expect(() => entryFromAddress('a', 'ftp://pacs')).toThrow(/expected a DICOMweb URL/);
    expect(() => entryFromAddress('a', 'http://pacs/dicom-web', { tls: true })).toThrow(/--tls/);
  });
});

describe('secretFromEnvironment', () => {
  const basic = entryFromAddress('p', 'http://pacs/dicom-web', { auth: { kind: 'basic', user: 'u', passwordEnv: 'PACS_PW' } });
  it('reads the variable the entry names, and says which one is missing', () => {
    expect(secretFromEnvironment(basic, { PACS_PW: 's3cret' })).toBe('s3cret');
    expect(() => secretFromEnvironment(basic, {})).toThrow('--password-env PACS_PW: the environment variable is not set (or empty)');
    const keychain = { ...basic, auth: { kind: 'basic' as const, user: 'u', passwordEnv: null } };
    expect(() => secretFromEnvironment(keychain, {})).toThrow(/give --password-env VAR \(the desktop app keeps it in the OS keychain\)/);
    expect(secretFromEnvironment(entryFromAddress('n', 'http://pacs/dicom-web'), {})).toBeNull();
  });
});

describe('PACS entries in the catalogue', () => {
  it('saves, lists, replaces and removes entries, keeping only the fields of an entry (never a secret)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmtl-pacs-entries-'));
    const workspace = Workspace.open(join(dir, 'ws'), { create: true });
    try {
      const entry = entryFromAddress('radiology', 'dicom://PACS@pacs.local:104', { auth: { kind: 'basic', user: 'u', passwordEnv: 'PW' } });
      savePacsEntry(workspace, { ...entry, password: 'leak-me', auth: { ...entry.auth, password: 'leak-me' } } as unknown as PacsEntry);
      expect(requirePacsEntry(workspace, 'radiology')).toEqual(entry);
      savePacsEntry(workspace, { ...entry, port: 11112 });
      expect(listPacsEntries(workspace).map((e) => [e.name, e.port])).toEqual([['radiology', 11112]]);
      expect(() => savePacsEntry(workspace, { ...entry, name: 'bad name' })).toThrow(/PACS name 'bad name'/);
      expect(() => requirePacsEntry(workspace, 'nope')).toThrow(/no PACS of that name .*it has: radiology/);
      workspace.db.pragma('wal_checkpoint(TRUNCATE)');
      expect(readFileSync(join(dir, 'ws', 'catalogue.sqlite')).includes('leak-me')).toBe(false);
      expect(removePacsEntry(workspace, 'radiology')).toBe(true);
      expect(listPacsEntries(workspace)).toEqual([]);
    } finally {
      workspace.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
