/** Documented in docs/cli.md; scripts rely on them, so they never change meaning. */
export const EXIT = {
  ok: 0,
  runFailed: 1,
  invalid: 2,
  /** Reserved: a quality check with severity "error" failed (quality issue). */
  qualityFailed: 3,
  /** Another run holds the pipeline or one of its destinations (sysexits EX_TEMPFAIL: try again later, or --wait). */
  busy: 75,
  cancelled: 130,
  /** Stopped by SIGTERM (systemd, CI, containers): cancelled like Ctrl-C, 128 + 15. */
  terminated: 143,
} as const;
