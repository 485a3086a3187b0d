import { readNdjsonLines } from '../../../src/mixpanel/ndjson-reader.js';

async function* chunksOf(buffers: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const b of buffers) yield b;
}

/** The lines `readNdjsonLines` reads from these chunks. */
export async function ndjsonLines(buffers: Uint8Array[]): Promise<{ text: string; lineNumber: number }[]> {
  const out: { text: string; lineNumber: number }[] = [];
  for await (const batch of readNdjsonLines(chunksOf(buffers))) out.push(...batch);
  return out;
}

/** Every way of cutting `bytes` into two pieces, plus one-byte pieces. */
export function cuts(bytes: Buffer): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  for (let i = 0; i <= bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  out.push([...bytes].map((b) => Uint8Array.of(b)));
  return out;
}
