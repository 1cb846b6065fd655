/** Types for generate-data.js (plain JavaScript so the example runs without a build). */
export interface GenerateOptions {
  orders?: number;
  outDir?: string | URL;
  seed?: number | string;
  onProgress?: (p: { file: string; rows: number; total: number }) => void;
}
type ByFile<T> = { customers: T; products: T; orders: T };
export function generateEcommerceData(opts?: GenerateOptions): Promise<{ files: ByFile<string>; rows: ByFile<number>; bytes: number }>;
export const DEFAULT_ORDERS: number;
export const DEFAULT_SEED: number;
export const DEFAULT_OUT_DIR: string;
