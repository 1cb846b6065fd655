/**
 * `p`'s value, or undefined when it has not settled within `ms`: for goodbyes to a server (a
 * ROLLBACK, closing a session) that must not hold a failing run for longer than that.
 */
export async function settledWithin<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
