/** `siprec test-call --count N --concurrency C`: N test calls, C at a time, over one shared SIP stack. */
import { firstFailure as firstFailureOf } from "./checks.ts";
import { type TestCallOptions, runTestCall } from "./run.ts";
import { openToolStack } from "../siprec/session/tool-session.ts";

export interface LoadResult {
  readonly calls: number;
  readonly passed: number;
  readonly failed: number;
  readonly seconds: number;
  readonly setupsPerSecond: number;
  readonly firstFailure?: string;
}

/** `--count N --concurrency C`: N test calls, C at a time, over one shared SIP stack. */
export async function runLoad(o: TestCallOptions, count: number, concurrency: number, progress?: (done: number) => void): Promise<LoadResult> {
  const stack = await openToolStack(o);
  let next = 0;
  let passed = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  const t0 = o.clock.now();
  const worker = async () => {
    while (next < count) {
      next++;
      const r = await runTestCall({ ...o, stack });
      if (r.ok) passed++;
      else {
        failed++;
        firstFailure ??= firstFailureOf(r.checks) ?? r.report.reason ?? "failed";
      }
      progress?.(passed + failed);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  const seconds = (o.clock.now() - t0) / 1000;
  await stack.close();
  return { calls: count, passed, failed, seconds, setupsPerSecond: count / Math.max(seconds, 0.001), ...(firstFailure === undefined ? {} : { firstFailure }) };
}
