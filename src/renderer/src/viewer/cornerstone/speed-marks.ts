import { Enums } from '@cornerstonejs/core';
import { recordMeasure, SPEED_MEASURES } from '../speed-measures.ts';

/**
 * Times one viewport (speed-measures.ts): a slice request to the new slice's pixels; each
 * mouse move of a drag over it, from the first listener of the page (window, capturing)
 * to the last (window, bubbling), which covers Cornerstone's tools in between; and a
 * drag's move to the next frame drawn.
 */
export class ViewportSpeedMarks {
  private requestedAt: number | null = null;
  private moveStartedAt: number | null = null;
  /** the first drag move not yet on screen */
  private movedAt: number | null = null;
  private shownIndex: number;
  private readonly removers: (() => void)[] = [];

  constructor(
    private readonly element: HTMLElement,
    private readonly currentIndex: () => number,
  ) {
    this.shownIndex = currentIndex();
    this.listen(element, 'wheel', () => this.sliceRequested(), { capture: true, passive: true });
    this.listen(element, Enums.Events.IMAGE_RENDERED, () => this.rendered());
    this.listen(window, 'mousemove', (event) => this.moveStarted(event as MouseEvent), { capture: true, passive: true });
    this.listen(window, 'mousemove', () => this.moveHandled(), { passive: true });
  }

  /** Another slice was asked for (the first of a burst counts). */
  sliceRequested(): void {
    this.requestedAt ??= performance.now();
  }

  private rendered(): void {
    if (this.movedAt !== null) recordMeasure(SPEED_MEASURES.dragToPixels, this.movedAt);
    this.movedAt = null;
    const index = this.currentIndex();
    if (index === this.shownIndex) return;
    this.shownIndex = index;
    if (this.requestedAt !== null) recordMeasure(SPEED_MEASURES.sliceToPixels, this.requestedAt);
    this.requestedAt = null;
  }

  private moveStarted(event: MouseEvent): void {
    this.moveStartedAt = event.buttons & 1 && this.element.contains(event.target as Node) ? performance.now() : null;
  }

  private moveHandled(): void {
    if (this.moveStartedAt === null) return;
    recordMeasure(SPEED_MEASURES.dragMove, this.moveStartedAt);
    this.movedAt ??= this.moveStartedAt;
    this.moveStartedAt = null;
  }

  private listen(target: EventTarget, type: string, listener: (event: Event) => void, options?: AddEventListenerOptions): void {
    target.addEventListener(type, listener, options);
    this.removers.push(() => target.removeEventListener(type, listener, options));
  }

  dispose(): void {
    for (const remove of this.removers) remove();
  }
}
