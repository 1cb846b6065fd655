/* global document, window, MutationObserver -- functions passed to page.evaluate run in the browser */
/**
 * "Edit → rows": the time from a user's edit of a node's settings to the preview grid showing the
 * rows that follow from it, measured inside the page: from the edit's own input event (the last
 * keystroke when typing, the change of a select) to the first DOM update that shows a new preview
 * result. Also records whether the spinner appeared (it should only after 150 ms).
 */

/** Arms the page: the next `kind` event starts the clock; a new preview status stops it. */
async function arm(page, kind) {
  await page.evaluate((eventKind) => {
    const status = () => document.querySelector('[data-testid="preview-status"]')?.textContent ?? '';
    const b = (window.__edit = { start: 0, end: 0, text: '', spinner: false, stale: false });
    // Typing: every key restarts the clock, so it runs from the last one.
    const onEvent = () => {
      b.start = performance.now();
      b.stale = false;
    };
    document.addEventListener(eventKind, onEvent, { capture: true });
    // Done when the grid shows rows of the edited document: after the edit the preview reads
    // "out of date" (or loading) first; the first fresh result after that is the answer.
    const obs = new MutationObserver(() => {
      if (document.querySelector('[data-testid="preview-spinner"]')) b.spinner = true;
      const s = status();
      if (!b.start || b.end) return;
      if (s.includes('out of date') || s.includes('Loading')) b.stale = true;
      const err = document.querySelector('[data-testid="preview-error"], [data-testid="preview-setup"]');
      const fresh = !s.includes('Loading') && !s.includes('out of date');
      if (b.stale && fresh && (/\d rows?\b/.test(s) || err)) {
        b.end = performance.now();
        b.text = err ? `error: ${err.textContent}` : s;
        obs.disconnect();
        document.removeEventListener(eventKind, onEvent, { capture: true });
      }
    });
    obs.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  }, kind);
}

async function finish(page) {
  await page.waitForFunction(() => window.__edit.end > 0, null, { timeout: 600_000 });
  return page.evaluate(() => ({ ms: window.__edit.end - window.__edit.start, text: window.__edit.text, spinner: window.__edit.spinner }));
}

/** Replaces a SQL field's text by typing (as a user does, 40 ms between keys) and times the last key → rows. */
export async function typeThenRows(page, label, text) {
  const editor = page.locator(`.inspector .cm-content[aria-label="${label}"]`);
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await arm(page, 'keydown');
  await page.keyboard.type(text, { delay: 40 });
  return finish(page);
}

/** Picks an option of a select in the inspector and times the change → rows. */
export async function selectThenRows(page, locator, value) {
  await arm(page, 'change');
  await locator.selectOption(value);
  return finish(page);
}
