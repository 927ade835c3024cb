/**
 * Runs async jobs with at most `maxRunning` at once, the rest waiting in
 * order (at most `maxWaiting`; past that a job is refused at once with
 * `undefined`, and `refused` counts it). For the daemon's messages to
 * FreeSWITCH: a burst (hundreds of recordings starting together, a stall
 * that gaps them all) waits its turn instead of being refused by the ESL
 * client's own limit on commands waiting for replies.
 */
export class WorkQueue {
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  refused = 0;

  constructor(
    private readonly maxRunning: number,
    private readonly maxWaiting: number,
  ) {}

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  run<T>(job: () => Promise<T>): Promise<T | undefined> {
    if (this.#running >= this.maxRunning && this.#waiting.length >= this.maxWaiting) {
      this.refused++;
      return Promise.resolve(undefined);
    }
    return new Promise<T | undefined>((resolve, reject) => {
      const start = (): void => {
        this.#running++;
        job()
          .then(resolve, reject)
          .finally(() => {
            this.#running--;
            this.#waiting.shift()?.();
          });
      };
      if (this.#running < this.maxRunning) start();
      else this.#waiting.push(start);
    });
  }
}
