import { expect, test } from "bun:test";
import { join } from "node:path";
import { scanCapture } from "./file-scan.ts";
import { batchesOf, keptCost } from "../replay/batch.ts";
import { FS_FIXTURES } from "../../test/support/esl-fixtures.ts";

test("replay batches: calls grouped under the memory budget in capture order, a call bigger than the budget alone; a re-read keeps only the batch's packets", async () => {
  const scan = await scanCapture(join(FS_FIXTURES, "esl-tap-legs.pcap"), { rtpOnly: false, keep: () => false });
  if (!scan.ok) throw new Error(scan.message);
  const calls = scan.calls;
  expect(calls.every((c) => c.flows.every((f) => f.kept.length === 0))).toBe(true);
  const costs = calls.map(keptCost);
  expect(costs.filter((c) => c > 0).length).toBe(5);
  const biggest = Math.max(...costs);
  const batches = batchesOf(calls, biggest);
  expect(batches.flat().map((c) => c.callId)).toEqual(calls.map((c) => c.callId));
  for (const b of batches) expect(b.length === 1 || b.reduce((n, c) => n + keptCost(c), 0) <= biggest).toBe(true);
  // With a 1-byte budget every call with packets goes alone (calls without any cost nothing and may share).
  for (const b of batchesOf(calls, 1)) expect(b.filter((c) => keptCost(c) > 0).length).toBeLessThanOrEqual(1);
  const ids = new Set(batches[0]!.map((c) => c.callId));
  const again = await scanCapture(join(FS_FIXTURES, "esl-tap-legs.pcap"), { rtpOnly: false, keep: (id) => ids.has(id) });
  if (!again.ok) throw new Error(again.message);
  for (const c of again.calls) expect(c.flows.some((f) => f.kept.length > 0)).toBe(ids.has(c.callId) && keptCost(c) > 0);
});

test("a file that cannot be read is an error, not a throw", async () => {
  const r = await scanCapture("/nonexistent/x.pcap", { rtpOnly: false, keep: () => false });
  expect(r).toMatchObject({ ok: false, message: expect.stringContaining("cannot read /nonexistent/x.pcap") });
});
