/**
 * Import this FIRST in the renderer's entry (before anything that defines zod schemas, including the
 * host contract): the studio's CSP forbids eval, and zod decides at schema creation whether to
 * compile parsers with `new Function`, which the browser then reports as a CSP violation.
 */
import { config } from 'zod';

config({ jitless: true });
