import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Removes a Chromium profile folder after its browser closed. Chromium's helper processes may still
 * write into it for a moment after `context.close()` resolves (a removal right then was seen to
 * leave the folder re-created with `Default/`, `Local State`, …), so it is removed again until it
 * stays gone (about a second at most).
 */
export async function removeProfile(profile: string): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await rm(profile, { recursive: true, force: true, maxRetries: 3 });
    await sleep(200);
    if (!existsSync(profile)) return;
  }
}
