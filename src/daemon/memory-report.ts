/**
 * GET /debug/memory: where the daemon's memory is, after a full garbage
 * collection: the process (RSS, array buffers), the JavaScript heap (size,
 * objects) and the most numerous object types. Dividing the difference
 * between two reports by the recordings between them gives the cost of one
 * recording (`npm run bench media-path` does). `?detail=1` adds bytes per
 * type from a heap snapshot. A full collection pauses the daemon for a few
 * milliseconds (a snapshot for longer): an operator's tool, not a probe to poll.
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
  /** With `detail`: bytes and count per type from a heap snapshot (strings with their characters), largest first. */
  readonly bytesByType?: Readonly<Record<string, { readonly count: number; readonly bytes: number }>>;
}

interface HeapSnapshotV3 {
  /** Four numbers a node: id, size, class name index, flags. */
  readonly nodes: readonly number[];
  readonly nodeClassNames: readonly string[];
}

/** Sums a JSC heap snapshot's node sizes by class (a full snapshot: tens to hundreds of milliseconds). */
function bytesByType(top: number): Record<string, { count: number; bytes: number }> {
  const snap = Bun.generateHeapSnapshot() as unknown as HeapSnapshotV3;
  const by = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i + 3 < snap.nodes.length; i += 4) {
    const cls = snap.nodeClassNames[snap.nodes[i + 2] as number] ?? "?";
    const e = by.get(cls) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += snap.nodes[i + 1] as number;
    by.set(cls, e);
  }
  return Object.fromEntries([...by].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top));
}

export function memoryReport(recordings: number, detail = false, top = 40): MemoryReport {
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
    ...(detail ? { bytesByType: bytesByType(top) } : {}),
  };
}
