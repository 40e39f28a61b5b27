import { describe, expect, it } from 'vitest';
import { validateCall } from './api-validation.ts';
import { decodeBytes } from './rpc.ts';

/** A call as it arrives over the WebSocket: JSON.parse makes '__proto__' an own field, as an attacker can. */
const wire = (method: string, params: unknown[] | string) =>
  validateCall(method, JSON.parse(typeof params === 'string' ? params : JSON.stringify(params), decodeBytes));

const PRETRAIN = { seriesIds: [], method: 'ssmtl', t: 1, epochs: 1, size: 64, width: 8, batch: 2, backend: 'auto', name: '' };
const INHERITED = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

describe('API argument checks use own properties only', () => {
  it('accepts a well-formed call', () => {
    expect(() => wire('startPretrain', [PRETRAIN])).not.toThrow();
    expect(() => wire('gpuWorkerReport', ['w', 'j', { type: 'failed', kind: 'internal', message: 'x' }])).not.toThrow();
  });

  it.each(INHERITED)("refuses a record with an extra field named '%s'", (name) => {
    const withField = JSON.stringify([PRETRAIN]).replace('{"seriesIds"', `{"${name}":{"polluted":true},"seriesIds"`);
    expect(() => wire('startPretrain', withField)).toThrow(`unexpected field '${name}'`);
    // Built in code rather than parsed: the same.
    const literal = { ...PRETRAIN };
    Object.defineProperty(literal, name, { value: 'x', enumerable: true });
    expect(() => validateCall('startPretrain', [literal])).toThrow(`unexpected field '${name}'`);
  });

  it.each(INHERITED)("refuses a tagged record whose type is '%s'", (type) => {
    expect(() => wire('gpuWorkerReport', ['w', 'j', { type }])).toThrow(/type is one of event, finished, failed/);
    expect(() => wire('gpuWorkerReport', ['w', 'j', { type: 'event', event: { type } }])).toThrow(/type is one of progress/);
  });

  it('refuses a tagged record whose type is only inherited', () => {
    const inherits = Object.create({ type: 'failed' }) as Record<string, unknown>;
    Object.assign(inherits, { kind: 'internal', message: 'x' });
    expect(() => validateCall('gpuWorkerReport', ['w', 'j', inherits])).toThrow(/type is one of/);
  });

  it('does not take a required field from the prototype chain', () => {
    const { method: _method, ...withoutMethod } = PRETRAIN;
    const inherits = Object.assign(Object.create({ method: 'ssmtl' }) as object, withoutMethod);
    expect(() => validateCall('startPretrain', [inherits])).toThrow(/method: expected one of ssmtl/);
  });

  it.each(INHERITED)("refuses a loss named '%s'", (name) => {
    const event = `{"type":"event","event":{"type":"epoch","epoch":1,"loss":0.5,"headLosses":{"${name}":0.1}}}`;
    expect(() => wire('gpuWorkerReport', `["w","j",${event}]`)).toThrow(`'${name}' is not a loss name`);
  });

  it('refuses an unknown method, also one named after Object.prototype', () => {
    for (const method of INHERITED) expect(() => wire(method, [])).toThrow(/unknown API method/);
  });
});
