/**
 * Rows a list field keeps while they are edited, which may differ from what is saved: a key typed on
 * its way to another that repeats an existing one, a blank entry not filled in yet. The rows follow
 * the saved value only when it changes from elsewhere (undo, the file reopened), not when it comes
 * back as the field itself wrote it.
 */
import { useEffect, useRef, useState } from 'react';

export function useDraftRows<R>(stored: R[]): { rows: R[]; edit(rows: R[], saved: R[]): void; keep(rows: R[]): void } {
  const storedText = JSON.stringify(stored);
  const [rows, setRows] = useState<R[]>(stored);
  const written = useRef(storedText);
  const latest = useRef(stored);
  latest.current = stored;
  useEffect(() => {
    if (storedText !== written.current) {
      written.current = storedText;
      setRows(latest.current);
    }
  }, [storedText]);
  return {
    rows,
    /** New rows, and the rows the value they save reads back as. */
    edit(next: R[], saved: R[]) {
      written.current = JSON.stringify(saved);
      setRows(next);
    },
    /** New rows that save nothing (yet). */
    keep(next: R[]) {
      setRows(next);
    },
  };
}
