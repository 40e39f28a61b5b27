export type Screen = 'library' | 'annotate' | 'train' | 'review' | 'export';
