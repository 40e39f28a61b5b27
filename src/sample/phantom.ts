/**
 * The built-in sample: a procedural thorax CT angiogram with whole-heart ground truth.
 *
 * Why it looks the way it does. SSMTL ("Self-Supervised Multi-Task Representation
 * Learning for Sequential Medical Images") learns by predicting slice j±t from slice j,
 * so anatomy has to change smoothly and meaningfully along the slice axis: chambers
 * appear and disappear at different heights, vessels run through, ribs and vertebrae
 * repeat. Subjects differ in position, size, rotation, shape, HU levels and noise, so
 * that a segmentation model has to learn rather than memorise. The contrast phase is
 * CTA-like (blood ≈ +250…+420 HU, myocardium ≈ +100) because in an unenhanced scan the
 * chambers would be invisible.
 *
 * Layout: every volume is slice-major, index = z·rows·cols + y·cols + x. Patient
 * coordinates are DICOM's LPS (x to the patient's left, y to the back, z to the head);
 * column index i runs along +x, row index j along +y, slice index k along +z.
 *
 * Pure: no node:* imports, so the renderer or a worker can make a sample too.
 */
import { createRandom, type Random } from './random.ts';

/** Label values of the MM-WHS challenge (Zhuang et al.), which the paper's CT data uses. */
export const SAMPLE_LABELS = {
  /** myocardium of the left ventricle */
  MYO: 205,
  LA: 420,
  LV: 500,
  RA: 550,
  RV: 600,
  /** ascending aorta, here with the arch; the descending aorta stays unlabelled */
  AO: 820,
  /** pulmonary artery */
  PA: 850,
} as const;

export interface SubjectOptions {
  seed: number;
  /** rows = cols = size */
  size: number;
  slices: number;
  /** 0-based subject index; each gives a different body */
  subject: number;
}

export interface SubjectVolume {
  /** Hounsfield units, slice-major (index = z·rows·cols + y·cols + x) */
  hu: Int16Array;
  /** MM-WHS label values (see SAMPLE_LABELS), 0 = background, same layout as hu */
  labels: Uint16Array;
  rows: number;
  cols: number;
  slices: number;
  /** [column spacing, row spacing, slice spacing] in mm */
  spacing: [number, number, number];
  /** LPS mm of the centre of voxel (0, 0, 0), i.e. ImagePositionPatient of slice 0 */
  origin: [number, number, number];
  /** standard deviation of the added noise, HU */
  noiseHu: number;
}

type Vec3 = [number, number, number];

const enum Tissue {
  Air = 0,
  Table,
  Fat,
  Muscle,
  Lung,
  Bone,
  Abdomen,
  Blood,
  Myocardium,
  Airway,
  /** skin, subcutaneous fat and chest-wall muscle: the heart may press on it, not into it */
  Wall,
}

const bit = (tissue: Tissue): number => 1 << tissue;

interface Box {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** A solid in patient mm that can say where it cuts an axial plane and what it contains. */
interface Shape {
  /** xy bounds of the cut by the plane at height z, or null when the plane misses it */
  bounds(z: number): Box | null;
  contains(x: number, y: number, z: number): boolean;
}

interface Layer {
  shape: Shape;
  tissue: Tissue;
  hu: number;
  label: number;
  /** paint only over these tissues (bit mask); all when absent */
  over?: number;
}

const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const add = (a: Vec3, b: Vec3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
const normalize = (a: Vec3): Vec3 => scale(a, 1 / Math.hypot(a[0], a[1], a[2]));
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

type Mat3 = [Vec3, Vec3, Vec3];
const mulMat = (m: Mat3, v: Vec3): Vec3 => [dot(m[0], v), dot(m[1], v), dot(m[2], v)];
const mulMats = (a: Mat3, b: Mat3): Mat3 => {
  const column = (j: number): Vec3 => [b[0][j], b[1][j], b[2][j]];
  return [0, 1, 2].map((i) => [0, 1, 2].map((j) => dot(a[i], column(j)))) as Mat3;
};
const rotationZ = (angle: number): Mat3 => {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return [
    [c, -s, 0],
    [s, c, 0],
    [0, 0, 1],
  ];
};
const rotationX = (angle: number): Mat3 => {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return [
    [1, 0, 0],
    [0, c, -s],
    [0, s, c],
  ];
};
const rotationY = (angle: number): Mat3 => {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return [
    [c, 0, s],
    [0, 1, 0],
    [-s, 0, c],
  ];
};

interface EllipsoidOptions {
  /** keep only points with (p − point)·normal ≥ min, e.g. a valve plane */
  clip?: { point: Vec3; normal: Vec3; min: number };
  /** radial shape harmonics in the plane of axes 1 and 2: [a2, phase2, a3, phase3] */
  harmonics?: [number, number, number, number];
}

/**
 * An ellipsoid with orthonormal `axes` (rows) and `radii`. Harmonics bend its cross
 * section away from an ellipse, so chambers are not all the same convex blob.
 */
function ellipsoid(center: Vec3, axes: Mat3, radii: Vec3, options: EllipsoidOptions = {}): Shape {
  const [e0, e1, e2] = axes;
  const [r0, r1, r2] = radii;
  const [a2, p2, a3, p3] = options.harmonics ?? [0, 0, 0, 0];
  const bulge = 1 + Math.abs(a2) + Math.abs(a3);
  const extent = (axis: number): number => bulge * Math.hypot(r0 * e0[axis], r1 * e1[axis], r2 * e2[axis]);
  const halfX = extent(0);
  const halfY = extent(1);
  const halfZ = extent(2);
  const clip = options.clip;
  return {
    bounds(z) {
      if (Math.abs(z - center[2]) > halfZ) return null;
      return { x0: center[0] - halfX, x1: center[0] + halfX, y0: center[1] - halfY, y1: center[1] + halfY };
    },
    contains(x, y, z) {
      if (clip) {
        const along = (x - clip.point[0]) * clip.normal[0] + (y - clip.point[1]) * clip.normal[1] + (z - clip.point[2]) * clip.normal[2];
        if (along < clip.min) return false;
      }
      const dx = x - center[0];
      const dy = y - center[1];
      const dz = z - center[2];
      const l0 = (dx * e0[0] + dy * e0[1] + dz * e0[2]) / r0;
      const l1 = (dx * e1[0] + dy * e1[1] + dz * e1[2]) / r1;
      const l2 = (dx * e2[0] + dy * e2[1] + dz * e2[2]) / r2;
      const radial = l1 * l1 + l2 * l2;
      if (a2 === 0 && a3 === 0) return l0 * l0 + radial <= 1;
      const angle = Math.atan2(l2, l1);
      const f = 1 + a2 * Math.cos(2 * angle + p2) + a3 * Math.cos(3 * angle + p3);
      return l0 * l0 + radial / (f * f) <= 1;
    },
  };
}

interface TubeNode {
  p: Vec3;
  r: number;
}

/** A chain of truncated cones through the nodes: vessels, airways. */
function tube(nodes: TubeNode[], grow = 0): Shape {
  const segments = nodes.slice(1).map((node, i) => {
    const a = nodes[i].p;
    const b = node.p;
    const ab: Vec3 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    const ra = nodes[i].r + grow;
    const rb = node.r + grow;
    return { a, b, ab, length2: dot(ab, ab) || 1, ra, rb, rMax: Math.max(ra, rb) };
  });
  return {
    bounds(z) {
      let box: Box | null = null;
      for (const s of segments) {
        let t0 = 0;
        let t1 = 1;
        if (Math.abs(s.ab[2]) > 1e-6) {
          const ta = (z - s.rMax - s.a[2]) / s.ab[2];
          const tb = (z + s.rMax - s.a[2]) / s.ab[2];
          t0 = Math.max(0, Math.min(ta, tb));
          t1 = Math.min(1, Math.max(ta, tb));
          if (t0 > t1) continue;
        } else if (Math.abs(z - s.a[2]) > s.rMax) continue;
        const xa = s.a[0] + t0 * s.ab[0];
        const xb = s.a[0] + t1 * s.ab[0];
        const ya = s.a[1] + t0 * s.ab[1];
        const yb = s.a[1] + t1 * s.ab[1];
        const x0 = Math.min(xa, xb) - s.rMax;
        const x1 = Math.max(xa, xb) + s.rMax;
        const y0 = Math.min(ya, yb) - s.rMax;
        const y1 = Math.max(ya, yb) + s.rMax;
        box = box
          ? { x0: Math.min(box.x0, x0), x1: Math.max(box.x1, x1), y0: Math.min(box.y0, y0), y1: Math.max(box.y1, y1) }
          : { x0, x1, y0, y1 };
      }
      return box;
    },
    contains(x, y, z) {
      for (const s of segments) {
        const px = x - s.a[0];
        const py = y - s.a[1];
        const pz = z - s.a[2];
        let t = (px * s.ab[0] + py * s.ab[1] + pz * s.ab[2]) / s.length2;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const dx = px - t * s.ab[0];
        const dy = py - t * s.ab[1];
        const dz = pz - t * s.ab[2];
        const r = s.ra + t * (s.rb - s.ra);
        if (dx * dx + dy * dy + dz * dz <= r * r) return true;
      }
      return false;
    },
  };
}

/** HU levels of one subject: scanners, contrast timing and bodies all differ. */
interface Densities {
  air: number;
  fat: number;
  muscle: number;
  lung: number;
  /** denser lung towards the back (gravity-dependent perfusion), HU per 100 mm */
  lungGradient: number;
  cortex: number;
  cancellous: number;
  disc: number;
  csf: number;
  cartilage: number;
  liver: number;
  spleen: number;
  stomach: number;
  bloodLeft: number;
  bloodRight: number;
  svc: number;
  ivc: number;
  myocardium: number;
  tableShell: number;
  tableCore: number;
}

function drawDensities(random: Random): Densities {
  const bloodLeft = random.uniform(260, 420);
  return {
    air: -1000,
    fat: random.uniform(-115, -80),
    muscle: random.uniform(35, 60),
    lung: random.uniform(-885, -825),
    lungGradient: random.uniform(20, 50),
    cortex: random.uniform(650, 950),
    cancellous: random.uniform(150, 300),
    disc: random.uniform(70, 100),
    csf: random.uniform(5, 25),
    cartilage: random.uniform(90, 140),
    liver: random.uniform(60, 100),
    spleen: random.uniform(90, 130),
    stomach: random.uniform(5, 30),
    bloodLeft,
    bloodRight: bloodLeft * random.uniform(0.65, 1.05),
    svc: Math.min(900, bloodLeft * random.uniform(1.3, 1.9)),
    ivc: random.uniform(70, 130),
    myocardium: random.uniform(90, 140),
    tableShell: random.uniform(150, 350),
    tableCore: random.uniform(-800, -600),
  };
}

/** The torso outside the mediastinum, in the body's own frame (x lateral, y antero-posterior). */
interface Torso {
  centerX: number;
  centerY: number;
  cos: number;
  sin: number;
  /** half-widths of the skin outline: lateral, anterior, posterior */
  a: number;
  bAnterior: number;
  bPosterior: number;
  fat: number;
  cavityCenterY: number;
  cavityA: number;
  cavityBAnterior: number;
  cavityBPosterior: number;
  spineY: number;
  vertebraRadius: number;
  canalY: number;
  discPitch: number;
  discPhase: number;
  ribPitch: number;
  ribPhase: number;
  ribDroop: number;
  sternumBottom: number;
  /** diaphragm height under the heart, and how far the right and left domes rise above it */
  diaphragmZ: number;
  diaphragmRight: number;
  diaphragmLeft: number;
  diaphragmCurvature: number;
  stomachGasY: number;
  tableY: number;
}

function bodyMap(torso: Torso, x: number, y: number, z: number): Vec3 {
  return [torso.centerX + torso.cos * x - torso.sin * y, torso.centerY + torso.sin * x + torso.cos * y, z];
}

interface SliceCell {
  tissue: Tissue;
  hu: number;
}

/** The back is flatter than the front: a superellipse behind, an ellipse in front. */
function outline(bx: number, by: number, a: number, bAnterior: number, bPosterior: number): number {
  const u = Math.abs(bx) / a;
  if (by < 0) return u * u + (by / bAnterior) * (by / bAnterior);
  return Math.pow(u, 2.6) + Math.pow(by / bPosterior, 2.6);
}

/** Skin, fat, chest wall, ribs, sternum, spine, lungs and upper abdomen at one point. */
function torsoAt(torso: Torso, d: Densities, x: number, y: number, z: number, out: SliceCell): void {
  const dx = x - torso.centerX;
  const dy = y - torso.centerY;
  const bx = torso.cos * dx + torso.sin * dy;
  const by = -torso.sin * dx + torso.cos * dy;

  if (outline(bx, by, torso.a, torso.bAnterior, torso.bPosterior) > 1) {
    const tableTop = torso.tableY;
    if (y > tableTop && y < tableTop + 14 && Math.abs(x) < 230) {
      const shell = y < tableTop + 3 || y > tableTop + 11;
      out.tissue = Tissue.Table;
      out.hu = shell ? d.tableShell : d.tableCore;
    } else {
      out.tissue = Tissue.Air;
      out.hu = d.air;
    }
    return;
  }
  out.tissue = Tissue.Wall;
  out.hu = d.fat;
  if (outline(bx, by, torso.a - torso.fat * 1.3, torso.bAnterior - torso.fat, torso.bPosterior - torso.fat * 0.7) <= 1) {
    out.hu = d.muscle;
  }

  const cy = by - torso.cavityCenterY;
  const cavityB = cy < 0 ? torso.cavityBAnterior : torso.cavityBPosterior;
  const rho = Math.hypot(bx / torso.cavityA, cy / cavityB);
  // The vertebral column and its muscles bulge into the back of the chest.
  const rv = torso.vertebraRadius;
  const sy = by - (torso.spineY + rv + 20);
  const inSpineBlock = (bx / (rv + 9)) ** 2 + (sy / (2 * rv + 20)) ** 2 <= 1;
  if (rho <= 1 && !inSpineBlock) {
    const dome = diaphragmHeight(torso, bx, by);
    if (z < dome) {
      out.tissue = Tissue.Abdomen;
      out.hu = d.liver;
      const spleen = ((bx - 75) / 32) ** 2 + ((by - 45) / 45) ** 2;
      const stomach = ((bx - 55) / 45) ** 2 + ((by + 25) / 40) ** 2;
      if (spleen <= 1) out.hu = d.spleen;
      else if (stomach <= 1) out.hu = by < torso.stomachGasY ? d.air : d.stomach;
    } else {
      out.tissue = Tissue.Lung;
      out.hu = d.lung + (d.lungGradient * (by - torso.cavityCenterY)) / 100;
    }
  } else if (rho > 1) {
    ribsAndSternum(torso, d, bx, by, z, rho, cy, out);
  }
  spine(torso, d, bx, by, z, out);
}

/**
 * The diaphragm: a smooth sheet, highest in the right dome, lower in the left, with the
 * heart on the central tendon between them, falling away to the sides and, further,
 * to the back (the posterior costophrenic recesses reach lowest). One smooth function
 * rather than a maximum of domes, whose seams would be straight lines in the image.
 */
function diaphragmHeight(torso: Torso, bx: number, by: number): number {
  const right = (bx + 50) / 40;
  const left = (bx - 52) / 40;
  const back = by > 0 ? 1.8 : 1;
  return (
    torso.diaphragmZ +
    torso.diaphragmRight * Math.exp(-right * right) +
    torso.diaphragmLeft * Math.exp(-left * left) -
    torso.diaphragmCurvature * (0.5 * bx * bx + back * by * by)
  );
}

function ribsAndSternum(torso: Torso, d: Densities, bx: number, by: number, z: number, rho: number, cy: number, out: SliceCell): void {
  const radius = Math.hypot(bx, cy);
  const outside = ((rho - 1) * radius) / rho;
  if (outside > 16) return;
  const angle = Math.atan2(bx, cy); // 0 at the back, ±π at the front
  const front = Math.abs(angle);
  if (front > 2.85) {
    // Sternum, down to the xiphoid.
    if (z < torso.sternumBottom) return;
    const u = bx / 15;
    const v = (outside - 8) / 6;
    const r = u * u + v * v;
    if (r <= 1) {
      out.tissue = Tissue.Bone;
      out.hu = r > 0.5 ? d.cortex : d.cancellous;
    }
    return;
  }
  if (front < 0.3) return;
  // Ribs fall towards the front, so a plane cuts each one as a short arc.
  const droop = (torso.ribDroop * (1 - Math.cos(angle))) / 2;
  const phase = (z + droop - torso.ribPhase) / torso.ribPitch;
  const alongMm = (phase - Math.floor(phase)) * torso.ribPitch;
  const height = 9;
  if (alongMm > height) return;
  const u = (outside - 6) / 3.5;
  const v = (alongMm - height / 2) / (height / 2);
  const r = u * u + v * v;
  if (r > 1) return;
  if (front > 2.45) {
    out.tissue = Tissue.Wall;
    out.hu = d.cartilage;
  } else {
    out.tissue = Tissue.Bone;
    out.hu = r > 0.45 ? d.cortex : d.cancellous;
  }
}

function spine(torso: Torso, d: Densities, bx: number, by: number, z: number, out: SliceCell): void {
  const rv = torso.vertebraRadius;
  if (Math.abs(bx) > 40 || by < torso.spineY - rv - 2) return;
  const u = bx / (rv * 1.12);
  const v = (by - torso.spineY) / rv;
  const body = u * u + v * v;
  const phase = (z - torso.discPhase) / torso.discPitch;
  const inDisc = (phase - Math.floor(phase)) * torso.discPitch < 5;
  if (body <= 1) {
    out.tissue = Tissue.Bone;
    out.hu = inDisc ? d.disc : body > 0.72 ? d.cortex : d.cancellous;
    return;
  }
  const cx = bx;
  const cyc = by - torso.canalY;
  const canal = Math.hypot(cx, cyc);
  if (canal <= 7) {
    out.tissue = Tissue.Wall;
    out.hu = d.csf;
    return;
  }
  const arch = canal <= 11.5 && by > torso.spineY + rv * 0.6;
  const spinous = Math.abs(bx + 0.15 * cyc) < 3 && cyc > 10 && cyc < 30;
  const transverse = !inDisc && Math.abs(cyc + 1) < 3.5 && Math.abs(bx) > 8 && Math.abs(bx) < 24;
  if (arch || spinous || transverse) {
    out.tissue = Tissue.Bone;
    out.hu = (d.cortex + d.cancellous) / 2;
  }
}

/** Everything drawn for one subject. */
interface Anatomy {
  torso: Torso;
  densities: Densities;
  /** painted over lung only, as fat: the mediastinum between the lungs */
  mediastinum: Shape[];
  /** painted back to front: later layers win */
  layers: Layer[];
  lungVessels: Layer[];
  zBottom: number;
  zTop: number;
  fov: number;
}

function drawAnatomy(random: Random): Anatomy {
  const densities = drawDensities(random);
  const d = densities;
  const deg = Math.PI / 180;

  const a = random.uniform(128, 158);
  const bAnterior = random.uniform(95, 115);
  const bPosterior = random.uniform(100, 118);
  const fat = random.uniform(8, 28);
  const vertebraRadius = random.uniform(15, 19);
  const spineY = bPosterior - 50 - vertebraRadius;
  const cavityBAnterior = bAnterior - fat - random.uniform(8, 12);
  const torso: Torso = {
    centerX: random.uniform(-10, 10),
    centerY: random.uniform(-8, 8),
    cos: 1,
    sin: 0,
    a,
    bAnterior,
    bPosterior,
    fat,
    cavityCenterY: 0,
    cavityA: a - fat * 1.3 - random.uniform(10, 15),
    cavityBAnterior,
    cavityBPosterior: spineY + vertebraRadius + 10,
    spineY,
    vertebraRadius,
    canalY: spineY + vertebraRadius + 8,
    discPitch: random.uniform(22, 27),
    discPhase: random.uniform(0, 27),
    ribPitch: random.uniform(26, 32),
    ribPhase: random.uniform(0, 32),
    ribDroop: random.uniform(70, 100),
    sternumBottom: 0,
    diaphragmZ: 0,
    diaphragmRight: random.uniform(8, 16),
    diaphragmLeft: random.uniform(-2, 5),
    diaphragmCurvature: random.uniform(0.003, 0.0045),
    stomachGasY: random.uniform(-62, -50),
    tableY: 0,
  };
  const bodyAngle = random.uniform(-4, 4) * deg;
  torso.cos = Math.cos(bodyAngle);
  torso.sin = Math.sin(bodyAngle);
  torso.tableY = torso.centerY + bPosterior + random.uniform(3, 10);

  // The heart: a frame at the centre of the mitral valve plane, H, in body coordinates.
  const heartScale = random.uniform(1.02, 1.22);
  const heartZ = 0;
  // Measured forwards from the spine, so that the left atrium meets the oesophagus whatever the heart's size.
  const heartBody: Vec3 = [8 + random.uniform(-8, 8), torso.spineY - 32 - 36 * heartScale + random.uniform(-3, 3), heartZ];
  const heartOrigin = bodyMap(torso, heartBody[0], heartBody[1], heartBody[2]);
  const rotation = mulMats(
    rotationZ(bodyAngle + random.uniform(-10, 10) * deg),
    mulMats(rotationX(random.uniform(-6, 6) * deg), rotationY(random.uniform(-6, 6) * deg)),
  );
  const toHeart = (p: Vec3): Vec3 => add(heartOrigin, scale(mulMat(rotation, p), heartScale));
  const direction = (p: Vec3): Vec3 => normalize(mulMat(rotation, p));
  const toBody = (p: Vec3): Vec3 => bodyMap(torso, p[0], p[1], p[2]);
  const jitter = (spread: number): number => random.uniform(1 - spread, 1 + spread);
  const harmonics = (amount: number): [number, number, number, number] => [
    random.uniform(-amount, amount),
    random.uniform(0, 2 * Math.PI),
    random.uniform(-amount, amount) * 0.6,
    random.uniform(0, 2 * Math.PI),
  ];

  // Long axis from base to apex points left, forwards and down.
  const u = normalize([0.765, -0.407, -0.5]);
  const towardsRv = (() => {
    const raw: Vec3 = [-0.7, -1, 0];
    return normalize(add(raw, scale(u, -dot(raw, u))));
  })();
  const w = cross(u, towardsRv);
  const axesU = direction(u);
  const axesV = direction(towardsRv);
  const axesW = direction(w);
  const heartAxes: Mat3 = [axesU, axesV, axesW];
  const identityAxes: Mat3 = [direction([1, 0, 0]), direction([0, 1, 0]), direction([0, 0, 1])];
  const s = heartScale;
  const basePlane = (min: number, sign: 1 | -1) => ({ point: heartOrigin, normal: scale(axesU, sign), min: min * s });

  // Left ventricle: a truncated prolate ellipsoid whose base is the mitral plane.
  const lvShift = 20 * jitter(0.15);
  const lvLength = 55 * jitter(0.1);
  const lvRadius1 = 22 * jitter(0.1);
  const lvRadius2 = 24 * jitter(0.1);
  const wall = 10 * jitter(0.15);
  const lvCentre = toHeart(scale(u, lvShift));
  const lvShape = harmonics(0.05);
  const lvCavity = ellipsoid(lvCentre, heartAxes, [lvLength * s, lvRadius1 * s, lvRadius2 * s], {
    clip: basePlane(0, 1),
    harmonics: lvShape,
  });
  const lvOuter = ellipsoid(lvCentre, heartAxes, [(lvLength + wall * 0.8) * s, (lvRadius1 + wall) * s, (lvRadius2 + wall) * s], {
    clip: basePlane(0, 1),
    harmonics: lvShape,
  });

  // Right ventricle: wraps the LV in front and to the right; its septal side is LV myocardium.
  const rvCentre = toHeart(add(scale(u, 28 * jitter(0.1)), scale(towardsRv, 29 * jitter(0.1))));
  const rvRadii: Vec3 = [44 * jitter(0.1) * s, 24 * jitter(0.12) * s, 38 * jitter(0.1) * s];
  const rvShape = harmonics(0.08);
  const rvCavity = ellipsoid(rvCentre, heartAxes, rvRadii, { clip: basePlane(-4, 1), harmonics: rvShape });
  const rvWall = ellipsoid(rvCentre, heartAxes, add(rvRadii, [4, 4, 4]), { clip: basePlane(-6, 1), harmonics: rvShape });

  // Atria sit above the valve plane: the left one behind, the right one to the right.
  const laCentre = toHeart([-4 + random.uniform(-3, 3), 19 + random.uniform(-3, 3), 10 + random.uniform(-3, 3)]);
  const laRadii: Vec3 = [29 * jitter(0.12) * s, 17 * jitter(0.12) * s, 21 * jitter(0.12) * s];
  const laShape = harmonics(0.06);
  const la = ellipsoid(laCentre, identityAxes, laRadii, { clip: basePlane(-2, -1), harmonics: laShape });
  const laWall = ellipsoid(laCentre, identityAxes, add(laRadii, [2.5, 2.5, 2.5]), { clip: basePlane(-4, -1), harmonics: laShape });
  const raCentre = toHeart([-34 + random.uniform(-4, 4), -6 + random.uniform(-4, 4), 5 + random.uniform(-3, 3)]);
  const raRadii: Vec3 = [24 * jitter(0.12) * s, 25 * jitter(0.12) * s, 28 * jitter(0.12) * s];
  const raShape = harmonics(0.08);
  const ra = ellipsoid(raCentre, identityAxes, raRadii, { clip: basePlane(-5, -1), harmonics: raShape });
  const raWall = ellipsoid(raCentre, identityAxes, add(raRadii, [2.5, 2.5, 2.5]), { clip: basePlane(-7, -1), harmonics: raShape });

  // Great vessels, as tube nodes in the heart frame (mm from H, before scaling).
  const heartNode = (x: number, y: number, z: number, r: number): TubeNode => ({ p: toHeart([x, y, z]), r: r * s });
  const bodyNode = (x: number, y: number, z: number, r: number): TubeNode => ({ p: toBody([x, y, z]), r });
  const aortaRadius = jitter(0.12);
  const archTop = heartZ + 96 * s;
  const ascending = [
    heartNode(-8, 4, -2, 12 * aortaRadius),
    heartNode(-12, 2, 8, 15 * aortaRadius),
    heartNode(-17 + random.uniform(-4, 4), -4, 32, 15 * aortaRadius),
    heartNode(-20 + random.uniform(-4, 4), -6, 58, 14.5 * aortaRadius),
    bodyNode(-4, torso.spineY - 85, archTop - 8, 14 * aortaRadius),
    bodyNode(10, torso.spineY - 68, archTop, 13 * aortaRadius),
    bodyNode(22, torso.spineY - 44, archTop, 12.5 * aortaRadius),
  ];
  const descending = [
    ascending[ascending.length - 1],
    bodyNode(26, torso.spineY - 16, archTop - 18, 12 * aortaRadius),
    bodyNode(25, torso.spineY - 15, heartZ - 40, 11.5 * aortaRadius),
    bodyNode(12, torso.spineY - 14, heartZ - 200, 11 * aortaRadius),
  ];
  const paRadius = jitter(0.12);
  const rvot = [heartNode(-6, -30, -14, 13), heartNode(4, -28, 6, 13), heartNode(11, -19, 20, 12 * paRadius)];
  const pulmonaryTrunk = [
    heartNode(11, -19, 20, 12.5 * paRadius),
    heartNode(15, -8, 34, 13.5 * paRadius),
    heartNode(10, 4, 44, 12 * paRadius),
  ];
  const leftPa = [heartNode(10, 4, 44, 11 * paRadius), heartNode(30, 14, 46, 10 * paRadius), heartNode(50, 24, 40, 8 * paRadius)];
  const rightPa = [heartNode(10, 4, 44, 11 * paRadius), heartNode(-14, 18, 42, 10 * paRadius), heartNode(-42, 22, 36, 8 * paRadius)];
  const svc = [heartNode(-40, 4, 26, 10), heartNode(-40, 2, 60, 10), heartNode(-38, 0, 140, 10)];
  const ivc = [heartNode(-36, 8, -14, 12), heartNode(-30, 16, -60, 12), heartNode(-26, 20, -200, 12)];
  const pulmonaryVeins = [
    [heartNode(12, 22, 18, 7), heartNode(44, 24, 28, 7)],
    [heartNode(12, 26, 4, 7), heartNode(46, 32, 0, 7)],
    [heartNode(-20, 22, 16, 7), heartNode(-50, 22, 24, 7)],
    [heartNode(-20, 26, 2, 7), heartNode(-50, 30, -2, 7)],
  ];
  // Coronary arteries in the grooves: contrast dots in the epicardial fat.
  const coronaries = [
    // right coronary in the right atrioventricular groove
    [heartNode(-14, -8, 0, 2), heartNode(-34, -22, -8, 2), heartNode(-42, -20, -30, 1.8)],
    // left anterior descending along the anterior interventricular groove
    [heartNode(2, -16, 6, 2), heartNode(20, -44, -16, 1.8), heartNode(44, -56, -36, 1.5)],
    // circumflex in the left atrioventricular groove
    [heartNode(8, -6, 6, 2), heartNode(30, 4, -2, 1.8), heartNode(38, 16, -14, 1.5)],
  ];

  // Airways and oesophagus follow the spine, not the heart.
  const carinaZ = heartZ + 62 * s;
  const tracheaY = torso.spineY - 44;
  const airways = [
    [bodyNode(0, tracheaY, 200, 9), bodyNode(1, tracheaY + 2, carinaZ, 8.5)],
    [bodyNode(1, tracheaY + 2, carinaZ, 7), bodyNode(-26, tracheaY + 8, carinaZ - 18, 6), bodyNode(-48, tracheaY + 14, carinaZ - 40, 4.5)],
    [
      bodyNode(1, tracheaY + 2, carinaZ, 6.5),
      bodyNode(30, tracheaY + 10, carinaZ - 22, 5.5),
      bodyNode(50, tracheaY + 16, carinaZ - 44, 4.5),
    ],
  ];
  const esophagus = [
    bodyNode(-2, torso.spineY - 27, 200, 7),
    bodyNode(4, torso.spineY - 28, heartZ - 20, 7),
    bodyNode(30, torso.spineY - 40, heartZ - 90, 8),
  ];

  torso.sternumBottom = heartZ - 50 * s;
  const heartBottomZ = heartZ - 48 * s;
  torso.diaphragmZ = heartBottomZ - random.uniform(0, 6);

  const tubeLayer = (nodes: TubeNode[], tissue: Tissue, hu: number, label = 0, grow = 0, over?: number): Layer => ({
    shape: tube(nodes, grow),
    tissue,
    hu,
    label,
    over,
  });
  const L = SAMPLE_LABELS;
  const myo = d.myocardium;
  const fatOnly = bit(Tissue.Fat);
  // Structures along the spine may run through the paravertebral muscle; the heart may not.
  const besideSpine = ~(bit(Tissue.Air) | bit(Tissue.Table) | bit(Tissue.Bone));
  const layers: Layer[] = [
    tubeLayer(esophagus, Tissue.Muscle, d.muscle, 0, 0, besideSpine),
    ...airways.map((nodes) => tubeLayer(nodes, Tissue.Muscle, d.muscle + 20, 0, 1.8)),
    ...airways.map((nodes) => tubeLayer(nodes, Tissue.Airway, d.air)),
    tubeLayer(descending, Tissue.Blood, d.bloodLeft, 0, 0, besideSpine),
    tubeLayer(ivc, Tissue.Blood, d.ivc),
    tubeLayer(svc, Tissue.Blood, d.svc),
    ...pulmonaryVeins.map((nodes) => tubeLayer(nodes, Tissue.Blood, d.bloodLeft)),
    { shape: raWall, tissue: Tissue.Myocardium, hu: myo * 0.8, label: 0 },
    { shape: ra, tissue: Tissue.Blood, hu: d.bloodRight, label: L.RA },
    { shape: laWall, tissue: Tissue.Myocardium, hu: myo * 0.8, label: 0 },
    { shape: la, tissue: Tissue.Blood, hu: d.bloodLeft, label: L.LA },
    { shape: rvWall, tissue: Tissue.Myocardium, hu: myo, label: 0 },
    { shape: rvCavity, tissue: Tissue.Blood, hu: d.bloodRight, label: L.RV },
    { shape: lvOuter, tissue: Tissue.Myocardium, hu: myo, label: L.MYO },
    { shape: lvCavity, tissue: Tissue.Blood, hu: d.bloodLeft, label: L.LV },
    tubeLayer(rvot, Tissue.Myocardium, myo, 0, 3),
    tubeLayer(rvot, Tissue.Blood, d.bloodRight, L.RV),
    tubeLayer(pulmonaryTrunk, Tissue.Blood, d.bloodRight, L.PA),
    tubeLayer(leftPa, Tissue.Blood, d.bloodRight, L.PA),
    tubeLayer(rightPa, Tissue.Blood, d.bloodRight, L.PA),
    tubeLayer(ascending, Tissue.Blood, d.bloodLeft, L.AO),
    ...coronaries.map((nodes) => tubeLayer(nodes, Tissue.Blood, d.bloodLeft, 0, 0, fatOnly)),
  ];

  // Fat between the lungs: everything mediastinal, a few mm larger than itself.
  const pericardialFat = random.uniform(3, 8);
  const mediastinum: Shape[] = [
    ellipsoid(
      lvCentre,
      heartAxes,
      [(lvLength + wall + pericardialFat) * s, (lvRadius1 + wall + pericardialFat) * s, (lvRadius2 + wall + pericardialFat) * s],
      {
        clip: basePlane(-10, 1),
        harmonics: lvShape,
      },
    ),
    ellipsoid(rvCentre, heartAxes, add(rvRadii, [4 + pericardialFat, 4 + pericardialFat, 4 + pericardialFat]), {
      clip: basePlane(-12, 1),
      harmonics: rvShape,
    }),
    ellipsoid(laCentre, identityAxes, add(laRadii, [6, 6, 6])),
    ellipsoid(raCentre, identityAxes, add(raRadii, [4 + pericardialFat, 4 + pericardialFat, 4 + pericardialFat])),
    tube(ascending, 7),
    tube(descending, 3),
    tube(rvot, 3 + pericardialFat),
    tube(pulmonaryTrunk, 4),
    tube(leftPa, 2),
    tube(rightPa, 2),
    tube(svc, 8),
    tube(ivc, 3),
    tube(esophagus, 4),
    tube(airways[0], 4),
    superiorMediastinum(torso, heartZ + 14 * s, random.uniform(30, 42)),
  ];

  const lungVessels = drawLungVessels(random, d, toHeart, toBody, torso);

  const zBottom = heartZ - 78 * s + random.uniform(-6, 4);
  const zTop = archTop + random.uniform(-6, 4);
  const fov = Math.round(2 * (a + Math.abs(torso.centerX)) + random.uniform(25, 60));
  return { torso, densities, mediastinum, layers, lungVessels, zBottom, zTop, fov };
}

/**
 * Above the heart the lungs are kept apart by a block of fat from sternum to spine
 * that holds the great vessels, trachea and oesophagus.
 */
function superiorMediastinum(torso: Torso, bottom: number, halfWidth: number): Shape {
  const front = -torso.cavityBAnterior;
  const back = torso.spineY;
  const halfDepth = (back - front) / 2 + 2;
  const centreY = back + 2 - halfDepth;
  const reach = Math.hypot(halfWidth, halfDepth);
  const centre = bodyMap(torso, -4, centreY, 0);
  return {
    bounds(z) {
      if (z < bottom) return null;
      return { x0: centre[0] - reach, x1: centre[0] + reach, y0: centre[1] - reach, y1: centre[1] + reach };
    },
    contains(x, y, z) {
      if (z < bottom) return false;
      const dx = x - torso.centerX;
      const dy = y - torso.centerY;
      const bx = torso.cos * dx + torso.sin * dy + 4;
      const by = -torso.sin * dx + torso.cos * dy - centreY;
      // Narrower in front (the anterior junction line), widest around the vessels.
      const v = by / halfDepth;
      const width = halfWidth * (by < 0 ? 1 - 0.55 * v * v : 1);
      const u = bx / width;
      return u * u + (by > 0 ? v * v : 0) <= 1 && v >= -1;
    },
  };
}

/** Branching trees from each hilum; arteries carry right-heart blood, veins left-heart blood. */
function drawLungVessels(random: Random, d: Densities, toHeart: (p: Vec3) => Vec3, toBody: (p: Vec3) => Vec3, torso: Torso): Layer[] {
  const layers: Layer[] = [];
  const lungOnly = bit(Tissue.Lung);
  for (const side of [-1, 1]) {
    const hilum = toHeart([side > 0 ? 46 : -44, 22, 30]);
    const lateral = toBody([side * torso.cavityA * 0.75, torso.cavityCenterY, 0]);
    for (let tree = 0; tree < 12; tree++) {
      const artery = tree % 2 === 0;
      const start: Vec3 = add(hilum, [random.uniform(-6, 6), random.uniform(-6, 6), random.uniform(-25, 10)]);
      const target: Vec3 = [
        lateral[0] * random.uniform(0.6, 1.1),
        torso.centerY + random.uniform(-70, 60),
        start[2] + random.uniform(-80, 60),
      ];
      grow(start, normalize([target[0] - start[0], target[1] - start[1], target[2] - start[2]]), 5, 34, 0, artery);
    }
  }
  function grow(from: Vec3, heading: Vec3, radius: number, length: number, depth: number, artery: boolean): void {
    const to = add(from, scale(heading, length));
    const r1 = radius * 0.72;
    layers.push({
      shape: tube([
        { p: from, r: radius },
        { p: to, r: r1 },
      ]),
      tissue: Tissue.Blood,
      hu: (artery ? d.bloodRight : d.bloodLeft) * 0.85,
      label: 0,
      over: lungOnly,
    });
    if (depth >= 4 || r1 < 0.8) return;
    for (let branch = 0; branch < 2; branch++) {
      const turn: Vec3 = [random.normal(0, 0.45), random.normal(0, 0.45), random.normal(0, 0.45)];
      grow(to, normalize(add(heading, turn)), r1, length * random.uniform(0.6, 0.85), depth + 1, artery);
    }
  }
  return layers;
}

/**
 * One subject of the sample: a thorax CTA covering the heart from the liver dome to the
 * aortic arch. Deterministic for (seed, subject); `size` and `slices` change only the grid.
 */
export function generateSubject(options: SubjectOptions): SubjectVolume {
  const { seed, size, slices, subject } = options;
  if (!Number.isInteger(size) || size < 8) throw new RangeError(`generateSubject: size must be an integer ≥ 8, got ${size}`);
  if (!Number.isInteger(slices) || slices < 2) throw new RangeError(`generateSubject: slices must be an integer ≥ 2, got ${slices}`);
  const anatomy = drawAnatomy(createRandom('ssmtl-sample', seed, subject, 'anatomy'));
  const { torso, densities, mediastinum, layers, lungVessels } = anatomy;

  // Rounded once, so that the DICOM text, the NIfTI affine and the pixels agree exactly.
  const pixel = Math.round((anatomy.fov / size) * 1e4) / 1e4;
  const sliceSpacing = Math.max(0.5, Math.round(((anatomy.zTop - anatomy.zBottom) / (slices - 1)) * 4) / 4);
  const rows = size;
  const cols = size;
  const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;
  // Scanner table positions are arbitrary; this keeps IPP z realistic and non-zero.
  const tableOffset = Math.round(createRandom('ssmtl-sample', seed, subject, 'table').uniform(-260, -120) * 2) / 2;
  const zCentre = (anatomy.zTop + anatomy.zBottom) / 2;
  const origin: [number, number, number] = [
    round4((-(cols - 1) / 2) * pixel),
    round4((-(rows - 1) / 2) * pixel),
    round4(tableOffset + zCentre - ((slices - 1) / 2) * sliceSpacing),
  ];
  const anatomicalZ0 = zCentre - ((slices - 1) / 2) * sliceSpacing;

  const plane = rows * cols;
  const huFloat = new Float32Array(plane * slices);
  const labels = new Uint16Array(plane * slices);
  const tissue = new Uint8Array(plane);
  const cell: SliceCell = { tissue: Tissue.Air, hu: 0 };
  const xs = Float64Array.from({ length: cols }, (_, i) => origin[0] + i * pixel);
  const ys = Float64Array.from({ length: rows }, (_, j) => origin[1] + j * pixel);

  const pixelRange = (box: Box): [number, number, number, number] | null => {
    const i0 = Math.max(0, Math.ceil((box.x0 - origin[0]) / pixel));
    const i1 = Math.min(cols - 1, Math.floor((box.x1 - origin[0]) / pixel));
    const j0 = Math.max(0, Math.ceil((box.y0 - origin[1]) / pixel));
    const j1 = Math.min(rows - 1, Math.floor((box.y1 - origin[1]) / pixel));
    return i0 > i1 || j0 > j1 ? null : [i0, i1, j0, j1];
  };

  for (let k = 0; k < slices; k++) {
    const z = anatomicalZ0 + k * sliceSpacing;
    const base = k * plane;
    for (let j = 0; j < rows; j++) {
      for (let i = 0; i < cols; i++) {
        torsoAt(torso, densities, xs[i], ys[j], z, cell);
        tissue[j * cols + i] = cell.tissue;
        huFloat[base + j * cols + i] = cell.hu;
      }
    }
    for (const shape of mediastinum) {
      const box = shape.bounds(z);
      const range = box && pixelRange(box);
      if (!range) continue;
      for (let j = range[2]; j <= range[3]; j++) {
        for (let i = range[0]; i <= range[1]; i++) {
          const p = j * cols + i;
          if (tissue[p] !== Tissue.Lung || !shape.contains(xs[i], ys[j], z)) continue;
          tissue[p] = Tissue.Fat;
          huFloat[base + p] = densities.fat;
        }
      }
    }
    const paintable = ~(bit(Tissue.Air) | bit(Tissue.Table) | bit(Tissue.Bone) | bit(Tissue.Wall));
    for (const layer of [...layers, ...lungVessels]) {
      const box = layer.shape.bounds(z);
      const range = box && pixelRange(box);
      if (!range) continue;
      const over = layer.over ?? paintable;
      for (let j = range[2]; j <= range[3]; j++) {
        for (let i = range[0]; i <= range[1]; i++) {
          const p = j * cols + i;
          if (!(over & bit(tissue[p] as Tissue)) || !layer.shape.contains(xs[i], ys[j], z)) continue;
          tissue[p] = layer.tissue;
          huFloat[base + p] = layer.hu;
          labels[base + p] = layer.label;
        }
      }
    }
  }

  const noise = createRandom('ssmtl-sample', seed, subject, 'noise');
  const noiseHu = noise.uniform(10, 20);
  // Reconstruction kernels differ between scanners: softer or sharper.
  const blurSide = noise.uniform(0.18, 0.28);
  const hu = addNoiseAndBlur(huFloat, rows, cols, slices, noiseHu, blurSide, noise);
  return {
    hu,
    labels,
    rows,
    cols,
    slices,
    spacing: [pixel, pixel, sliceSpacing],
    origin,
    noiseHu,
  };
}

/**
 * White noise followed by a [w, 1 − 2w, w] blur along rows and columns: the blur stands
 * in for the reconstruction kernel (partial volume at edges, correlated grain), and the
 * noise is scaled up beforehand so that its standard deviation after the blur is `sd`.
 */
function addNoiseAndBlur(
  values: Float32Array,
  rows: number,
  cols: number,
  slices: number,
  sd: number,
  side: number,
  random: Random,
): Int16Array {
  const out = new Int16Array(values.length);
  const plane = rows * cols;
  const scratch = new Float32Array(plane);
  const centre = 1 - 2 * side;
  // Each 1-D pass scales white noise's standard deviation by √(Σw²); two passes, by Σw².
  const rawSd = sd / (2 * side * side + centre * centre);
  for (let k = 0; k < slices; k++) {
    const base = k * plane;
    for (let p = 0; p < plane; p++) values[base + p] += random.normal(0, rawSd);
    for (let j = 0; j < rows; j++) {
      const row = base + j * cols;
      for (let i = 0; i < cols; i++) {
        const left = values[row + (i > 0 ? i - 1 : i)];
        const right = values[row + (i < cols - 1 ? i + 1 : i)];
        scratch[j * cols + i] = side * (left + right) + centre * values[row + i];
      }
    }
    for (let j = 0; j < rows; j++) {
      const up = (j > 0 ? j - 1 : j) * cols;
      const down = (j < rows - 1 ? j + 1 : j) * cols;
      for (let i = 0; i < cols; i++) {
        const v = side * (scratch[up + i] + scratch[down + i]) + centre * scratch[j * cols + i];
        out[base + j * cols + i] = Math.max(-1024, Math.min(3071, Math.round(v)));
      }
    }
  }
  return out;
}
