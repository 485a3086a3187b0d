import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { throwIfAborted } from '../util/abort.js';
import { RESTORE_KEY } from './mixpanel-lines.js';

const EVENT_PREFIX = '{"event":';
/** 20+ digits, or a negative 19-digit number: possibly beyond what a native 64-bit reader keeps. */
const WIDE_INTEGER = /\d{20}|-\d{19}/;

/**
 * Whether a JSON lines file can go to the engine's native Mixpanel export loader unchanged: plain
 * (not gzip) text whose every line is a raw export event `{"event": …, "properties": …}`, with no
 * restore annotations of our own exports and no integer wider than 64 bits. Anything else takes the
 * JavaScript path, which handles every shape losslessly. One streaming pass over the text, no parse.
 */
export async function isNativeMixpanelJsonl(path: string, signal?: AbortSignal): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    await handle.read(head, 0, 2, 0);
    if (head[0] === 0x1f && head[1] === 0x8b) return false;
  } finally {
    await handle.close();
  }
  const marker = JSON.stringify(RESTORE_KEY);
  const lines = createInterface({
    input: createReadStream(path, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let count = 0;
  try {
    for await (const line of lines) {
      if (++count % 65_536 === 0) throwIfAborted(signal, 'Import');
      if (!line.startsWith(EVENT_PREFIX) || line.includes(marker) || WIDE_INTEGER.test(line)) return false;
    }
    return count > 0;
  } finally {
    lines.close();
  }
}
