import { describe, expect, it } from 'vitest';
import { validateCall } from './api-validation.ts';
import type { PacsEntry } from './pacs.ts';

/** The PACS calls a page may make (api.ts): shapes checked before the engine sees them; a secret never in a message. */
const entry: PacsEntry = {
  name: 'radiology',
  protocol: 'dimse',
  url: null,
  calledAet: 'PACS',
  host: 'pacs.local',
  port: 104,
  callingAet: 'SSMTL',
  tls: false,
  caFile: null,
  auth: { kind: 'basic', user: 'u', passwordEnv: null },
  timeoutSeconds: 30,
  retries: 2,
};

describe('PACS calls from a page', () => {
  it('accepts a well-formed entry, query and retrieval', () => {
    expect(() => validateCall('savePacs', [entry, 'pw'])).not.toThrow();
    expect(() =>
      validateCall('findInPacs', ['radiology', { patientId: 'P1', studyDate: '20240101-20241231', modality: 'CT' }]),
    ).not.toThrow();
    expect(() => validateCall('startPacsGet', ['radiology', ['1.2.840.1']])).not.toThrow();
  });

  it('refuses extra fields (a secret smuggled into the entry), bad addresses and UIDs, naming the argument only', () => {
    expect(() => validateCall('savePacs', [{ ...entry, password: 'hunter2' }, null])).toThrow(/unexpected field 'password'/);
    expect(() => validateCall('savePacs', [{ ...entry, auth: { ...entry.auth, password: 'hunter2' } }, null])).toThrow(/unexpected field/);
    expect(() => validateCall('savePacs', [{ ...entry, port: 70000 }, null])).toThrow(/port/);
    expect(() => validateCall('savePacs', [{ ...entry, protocol: 'dicomweb', url: 'file:///etc/passwd' }, null])).toThrow(/http\(s\) URL/);
    expect(() => validateCall('startPacsGet', ['radiology', ['../../etc']])).toThrow(/DICOM UID/);
    expect(() => validateCall('findInPacs', ['radiology', { studyDate: 'yesterday' }])).toThrow(/YYYYMMDD/);
    let message = '';
    try {
      validateCall('unlockPacs', ['radiology', 'x'.repeat(5000) + 'hunter2']);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/secret/);
    expect(message).not.toContain('hunter2');
  });
});
