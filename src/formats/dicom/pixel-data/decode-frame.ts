import type { DataSet, Element } from 'dicom-parser';
import { PixelDataError } from './errors.ts';
import { encapsulatedFrameBytes } from './frame-fragments.ts';
import { decodeJpegFamilyFrame } from './jpeg-family.ts';
import { decodeJpeg2000Frame } from './jpeg2000.ts';
import { decodeFloatFrame, decodeNativeFrame } from './native.ts';
import { checkLayout, type PixelLayout, type StoredPixels } from './pixel-layout.ts';
import { decodeRleFrame } from './rle.ts';
import { describeTransferSyntax, pixelCodecOf, unsupportedTransferSyntaxReason } from './transfer-syntax.ts';

export type { PixelLayout, StoredPixels } from './pixel-layout.ts';

/**
 * The stored values of one frame (before the modality LUT): masked to BitsStored,
 * sign-extended when PixelRepresentation is 1, rows × cols values row after row.
 *
 * `dataSet` is dicom-parser's parse of the whole file (already inflated for the deflated
 * syntax). Every way the pixel data can be unusable — missing, shorter than declared,
 * rejected by a codec, the wrong size, an encoding we cannot read, colour — is a
 * PixelDataError whose `reason` is meant for the user.
 */
export async function decodeFrame(dataSet: DataSet, frameIndex: number, layout: PixelLayout): Promise<StoredPixels> {
  const syntax = describeTransferSyntax(layout.transferSyntaxUid);
  const codec = pixelCodecOf(layout.transferSyntaxUid);
  if (!syntax || !codec) throw new PixelDataError(unsupportedTransferSyntaxReason(layout.transferSyntaxUid));
  const element = pixelDataElement(dataSet);
  checkLayout(layout, frameIndex, element.tag === 'x7fe00008');

  if (element.tag !== 'x7fe00010') {
    if (element.tag === 'x7fe00009') throw new PixelDataError('double float pixel data (7FE0,0009) is not supported');
    if (syntax.encapsulated) throw new PixelDataError('float pixel data cannot be compressed, but the transfer syntax is');
    return decodeFloatFrame(dataSet, element, frameIndex, layout, syntax.bigEndian);
  }
  if (!syntax.encapsulated) {
    if (element.encapsulatedPixelData) {
      throw new PixelDataError(`pixel data is encapsulated (compressed), but the transfer syntax is ${syntax.name}`);
    }
    return decodeNativeFrame(dataSet, element, frameIndex, layout, syntax.bigEndian);
  }

  const encoded = encapsulatedFrameBytes(dataSet, element, frameIndex, layout.numberOfFrames);
  switch (codec) {
    case 'rle':
      return decodeRleFrame(encoded, layout);
    case 'jpeg':
    case 'jpeg-lossless':
    case 'jpeg-ls':
      return decodeJpegFamilyFrame(encoded, layout);
    case 'jpeg2000':
      return decodeJpeg2000Frame(encoded, layout);
    default:
      throw new PixelDataError(unsupportedTransferSyntaxReason(layout.transferSyntaxUid));
  }
}

function pixelDataElement(dataSet: DataSet): Element {
  const element = dataSet.elements.x7fe00010 ?? dataSet.elements.x7fe00008 ?? dataSet.elements.x7fe00009;
  if (!element) throw new PixelDataError('no pixel data (7FE0,0010) in the file');
  if (element.length === 0 && !element.encapsulatedPixelData) throw new PixelDataError('pixel data (7FE0,0010) is empty');
  return element;
}
