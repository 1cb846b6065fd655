/** Documented in docs/cli.md; scripts rely on them, so they never change meaning. */
export const EXIT = {
  ok: 0,
  runFailed: 1,
  invalid: 2,
  /** Reserved: a quality check with severity "error" failed (quality issue). */
  qualityFailed: 3,
  cancelled: 130,
} as const;
