/**
 * GET /debug/memory: where the daemon's memory is, after a full garbage
 * collection: the process (RSS, array buffers), the JavaScript heap (size,
 * objects) and the most numerous object types. Dividing the difference
 * between two reports by the recordings between them gives the cost of one
 * recording (`npm run bench media-path` does). A full collection pauses
 * the daemon for a few milliseconds: an operator's tool, not a probe to poll.
 * No heap snapshot: after one, every later collection of JavaScriptCore's
 * keeps the snapshot's cell list current, and the media path's p99 latency
 * went from ~2 ms to 20–140 ms for the rest of the process's life (measured
 * with the media-path bench, 200 and 500 recordings).
 */
import { heapStats } from "bun:jsc";

export interface MemoryReport {
  readonly recordings: number;
  readonly rssBytes: number;
  /** Bytes in ArrayBuffers (packet buffers, typed arrays), inside or outside the heap. */
  readonly arrayBufferBytes: number;
  readonly heapBytes: number;
  readonly heapCapacityBytes: number;
  /** Memory the heap's objects hold outside it (buffers, native parts). */
  readonly extraBytes: number;
  readonly objects: number;
  /** The `top` most numerous object types, most first. */
  readonly objectTypes: Readonly<Record<string, number>>;
}

export function memoryReport(recordings: number, top = 40): MemoryReport {
  Bun.gc(true);
  const h = heapStats();
  const m = process.memoryUsage();
  const types = Object.entries(h.objectTypeCounts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  return {
    recordings,
    rssBytes: m.rss,
    arrayBufferBytes: m.arrayBuffers,
    heapBytes: h.heapSize,
    heapCapacityBytes: h.heapCapacity,
    extraBytes: h.extraMemorySize,
    objects: h.objectCount,
    objectTypes: Object.fromEntries(types),
  };
}
