// The converter lives in util/ so nodes (which sniff a converted head) can use it; the engine keeps this name.
export { transcodeFile, type TranscodeResult } from '../util/transcode.js';
