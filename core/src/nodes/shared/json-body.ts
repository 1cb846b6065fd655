/** A JSON body param (text in the pipeline file) as a value, or why it is not JSON. */
export function parseJsonBody(text: string | undefined): { value?: unknown; error?: string } {
  if (text === undefined) return {};
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: `the body is not valid JSON: ${(e as Error).message}` };
  }
}
