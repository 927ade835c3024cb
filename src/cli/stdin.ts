import { concatBytes } from "../lib/bytes.ts";

/** Standard input, read to a byte cap: a huge pipe never fills memory. */
export async function readStdinBounded(maxBytes: number): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of process.stdin as AsyncIterable<Uint8Array>) {
    const room = maxBytes - total;
    if (chunk.length > room) {
      if (room > 0) chunks.push(chunk.subarray(0, room));
      return { bytes: concatBytes(chunks, maxBytes), truncated: true };
    }
    chunks.push(chunk);
    total += chunk.length;
  }
  return { bytes: concatBytes(chunks, total), truncated: false };
}
