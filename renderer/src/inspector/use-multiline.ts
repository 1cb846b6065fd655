import { useEffect, useState } from 'react';

/**
 * Whether a text box is multi-line. Once a text needs one (it holds a line break) it keeps it while
 * the form is open: switching from a textarea to an input under the cursor would lose the focus.
 */
export function useMultiline(needs: boolean): boolean {
  const [multi, setMulti] = useState(needs);
  useEffect(() => {
    if (needs) setMulti(true);
  }, [needs]);
  return multi || needs;
}
