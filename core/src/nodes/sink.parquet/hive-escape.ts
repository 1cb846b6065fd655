/**
 * How DuckDB spells a partition key or value in a folder name: percent-encoded UTF-8 for every
 * byte but letters, digits and `-_.~` (the same as its url_encode, checked character by character
 * against the folders COPY … PARTITION_BY writes).
 */
export const hiveEscape = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The most bytes one file or folder name may have (ext4, APFS, NTFS: 255). */
export const NAME_MAX = 255;
