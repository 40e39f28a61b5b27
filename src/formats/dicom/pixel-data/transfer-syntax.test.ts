import { describe, expect, it } from 'vitest';
import { describeTransferSyntax, unsupportedTransferSyntaxReason } from './transfer-syntax.ts';

describe('describeTransferSyntax', () => {
  it('describes the supported syntaxes', () => {
    expect(describeTransferSyntax('1.2.840.10008.1.2.2')).toEqual({
      uid: '1.2.840.10008.1.2.2',
      name: 'Explicit VR Big Endian',
      encapsulated: false,
      bigEndian: true,
      deflated: false,
      lossy: false,
    });
    expect(describeTransferSyntax('1.2.840.10008.1.2.1.99')?.deflated).toBe(true);
    expect(describeTransferSyntax('1.2.840.10008.1.2.4.81')).toMatchObject({ encapsulated: true, lossy: true });
    expect(describeTransferSyntax('1.2.840.10008.1.2.4.90')).toMatchObject({ encapsulated: true, lossy: false });
  });

  it('ignores the NUL or space that pads a UID to even length', () => {
    expect(describeTransferSyntax('1.2.840.10008.1.2.4.70\0')?.name).toMatch(/^JPEG Lossless/);
  });

  it('returns undefined for syntaxes it cannot decode, and names them in the reason', () => {
    expect(describeTransferSyntax('1.2.840.10008.1.2.4.201')).toBeUndefined();
    expect(unsupportedTransferSyntaxReason('1.2.840.10008.1.2.4.201')).toBe(
      'unsupported transfer syntax High-Throughput JPEG 2000 Image Compression (Lossless Only) (1.2.840.10008.1.2.4.201)',
    );
    expect(unsupportedTransferSyntaxReason('')).toMatch(/^no transfer syntax given/);
  });
});
