/**
 * RTP ports from a configured range: an even RTP port with RTCP on the next
 * odd one (RFC 3550 §11: "RTP SHOULD use an even destination port number
 * and the corresponding RTCP stream SHOULD use the next higher (odd)
 * destination port number"), or a single port with rtcp-mux. Ports come
 * back when a stream stops; a port the OS refuses is skipped and retried
 * later by the caller.
 */
export class PortAllocator {
  readonly #used = new Set<number>();
  #next: number;
  readonly #min: number;
  readonly #max: number;

  /** `startAt`: where the first take() looks (processes sharing a range start apart and rarely collide). */
  constructor(min: number, max: number, startAt?: number) {
    this.#min = min % 2 === 0 ? min : min + 1;
    this.#max = max;
    if (this.#min + 1 > this.#max) throw new Error(`the range ${min}-${max} holds no RTP/RTCP pair`);
    const start = startAt === undefined ? this.#min : this.#min + 2 * (Math.abs(Math.floor(startAt)) % this.capacity);
    this.#next = start;
  }

  get inUse(): number {
    return this.#used.size;
  }

  get capacity(): number {
    return Math.floor((this.#max - this.#min + 1) / 2);
  }

  /** An even port whose odd neighbour is free too, or undefined when the range is full. */
  take(): number | undefined {
    for (let i = 0; i < this.capacity; i++) {
      const p = this.#next;
      this.#next = p + 2 > this.#max - 1 ? this.#min : p + 2;
      if (!this.#used.has(p)) {
        this.#used.add(p);
        return p;
      }
    }
    return undefined;
  }

  release(port: number): void {
    this.#used.delete(port);
  }
}
