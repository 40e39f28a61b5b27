// dcmjs ships no type declarations. This shorthand makes its imports `any`; each user
// narrows what it needs to a local interface (see write-sample.ts). Project-wide in
// effect: move it to src/types/ if a fuller declaration is written.
declare module 'dcmjs';
