import { labelRgb } from '../../shared/labels.ts';
/**
 * What each segment is, in the coded terms a DICOM Segmentation must carry (Segmented
 * Property Category and Type, PS3.3 C.8.20.2; SNOMED CT codes as DICOM CID 7150/7151
 * list them). The MM-WHS structures have their anatomical codes; any other label value
 * is called "Tissue".
 */
export interface CodedConcept {
  CodeValue: string;
  CodingSchemeDesignator: string;
  CodeMeaning: string;
}

const ANATOMICAL_STRUCTURE: CodedConcept = { CodeValue: '123037004', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Anatomical Structure' };
const TISSUE: CodedConcept = { CodeValue: '85756007', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Tissue' };

const MMWHS_TYPES: Record<number, CodedConcept> = {
  500: { CodeValue: '87878005', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Left ventricle' },
  600: { CodeValue: '53085002', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Right ventricle' },
  420: { CodeValue: '82471001', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Left atrium' },
  550: { CodeValue: '73829009', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Right atrium' },
  205: { CodeValue: '74281007', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Myocardium' },
  820: { CodeValue: '54247002', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Ascending aorta' },
  850: { CodeValue: '81040000', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Pulmonary artery' },
};

/** Category and type of a label value (MM-WHS values are anatomy; others are tissue). */
export function segmentCodes(value: number): { category: CodedConcept; type: CodedConcept } {
  const type = MMWHS_TYPES[value];
  return type ? { category: ANATOMICAL_STRUCTURE, type } : { category: TISSUE, type: TISSUE };
}

/** sRGB '#rrggbb' → DICOM's CIELab encoding (PS3.3 C.10.7.1.1: L 0..100, a/b −128..127, scaled to 0..65535). */
export function rgbToDicomLab(color: string): [number, number, number] {
  const linear = labelRgb(color, [128, 128, 128]).map((channel) => {
    const c = channel / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const [r, g, b] = linear;
  // sRGB → XYZ (D65), then → Lab with the D65 white point.
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  const L = 116 * f(y) - 16;
  const A = 500 * (f(x) - f(y));
  const B = 200 * (f(y) - f(z));
  const clamp = (v: number) => Math.max(0, Math.min(65535, Math.round(v)));
  return [clamp((L * 65535) / 100), clamp(((A + 128) * 65535) / 255), clamp(((B + 128) * 65535) / 255)];
}

/** The MM-WHS label value of an anatomical type code (SNOMED CT), for SEGs written by other tools. */
export function labelValueForTypeCode(codeValue: string | null, scheme: string | null): number | null {
  if (!codeValue || (scheme !== 'SCT' && scheme !== 'SRT')) return null;
  for (const [value, code] of Object.entries(MMWHS_TYPES)) if (code.CodeValue === codeValue) return Number(value);
  return null;
}
