import { statSync } from 'node:fs';

/** Size of a file in bytes (0 when it does not exist). */
export function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
