/** A draggable (and keyboard-adjustable) divider between two panels. */
import { useRef, type KeyboardEvent, type PointerEvent } from 'react';

interface Props {
  /** `x`: a vertical bar that changes a width; `y`: a horizontal bar that changes a height. */
  axis: 'x' | 'y';
  label: string;
  value: number;
  min: number;
  max: number;
  /** +1 when dragging right/down grows the panel, -1 when it shrinks it (a panel on the right or at the bottom). */
  direction: 1 | -1;
  onChange(value: number): void;
}

export function Splitter({ axis, label, value, min, max, direction, onChange }: Props) {
  const start = useRef<{ pos: number; value: number } | null>(null);
  const clamp = (v: number) => Math.round(Math.min(max, Math.max(min, v)));
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    e.preventDefault();
    e.currentTarget.setPointerCapture(e.pointerId);
    start.current = { pos: axis === 'x' ? e.clientX : e.clientY, value };
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    if (!start.current) return;
    const delta = (axis === 'x' ? e.clientX : e.clientY) - start.current.pos;
    onChange(clamp(start.current.value + direction * delta));
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const step = e.shiftKey ? 64 : 16;
    const grow: Record<string, number> = axis === 'x' ? { ArrowRight: direction, ArrowLeft: -direction } : { ArrowDown: direction, ArrowUp: -direction };
    const d = grow[e.key];
    if (d === undefined) return;
    e.preventDefault();
    e.stopPropagation();
    onChange(clamp(value + d * step));
  };
  return (
    <div
      className={`splitter splitter-${axis}`}
      role="separator"
      aria-orientation={axis === 'x' ? 'vertical' : 'horizontal'}
      aria-label={label}
      aria-valuenow={value}
      aria-valuemin={min}
      aria-valuemax={max}
      tabIndex={0}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={() => (start.current = null)}
      onKeyDown={onKeyDown}
    />
  );
}
