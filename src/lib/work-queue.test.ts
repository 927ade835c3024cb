import { describe, expect, test } from "bun:test";
import { WorkQueue } from "./work-queue.ts";

describe("WorkQueue", () => {
  test("at most maxRunning at once, the rest in order; past maxWaiting refused at once", async () => {
    const q = new WorkQueue(2, 3);
    const started: number[] = [];
    const release: (() => void)[] = [];
    const job = (i: number) => () =>
      new Promise<number>((r) => {
        started.push(i);
        release.push(() => r(i));
      });
    const results = [1, 2, 3, 4, 5].map((i) => q.run(job(i)));
    expect(started).toEqual([1, 2]);
    expect([q.running, q.waiting]).toEqual([2, 3]);
    expect(await q.run(job(6))).toBeUndefined();
    expect(q.refused).toBe(1);
    release.shift()!();
    await Promise.resolve();
    await Promise.resolve();
    expect(started).toEqual([1, 2, 3]);
    while (release.length > 0) {
      release.shift()!();
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
    expect(await Promise.all(results)).toEqual([1, 2, 3, 4, 5]);
    expect(started).toEqual([1, 2, 3, 4, 5]);
  });

  test("a failing job frees its place and rejects its own caller only", async () => {
    const q = new WorkQueue(1, 10);
    const bad = q.run(() => Promise.reject(new Error("no")));
    const good = q.run(async () => "yes");
    await expect(bad).rejects.toThrow("no");
    expect(await good).toBe("yes");
    expect(q.running).toBe(0);
  });
});
