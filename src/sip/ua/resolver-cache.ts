/**
 * A Resolver that remembers answers: SRV and address lookups for an SRS name
 * are made once per `ttlMs` (and an empty or failed answer once per
 * `negativeTtlMs`, so a DNS outage is not hammered), concurrent lookups of
 * one name share a single query, and at most `maxEntries` names are kept.
 * Without it every recording set-up would query DNS again.
 */
import type { Clock } from "../../lib/clock.ts";
import type { Resolver, SrvRecord } from "./locate.ts";

interface Entry<T> {
  readonly at: number;
  value: Promise<T[]>;
  empty: boolean;
}

export interface ResolverCacheOptions {
  readonly ttlMs?: number;
  readonly negativeTtlMs?: number;
  readonly maxEntries?: number;
}

export class CachingResolver implements Resolver {
  readonly #srv = new Map<string, Entry<SrvRecord>>();
  readonly #addresses = new Map<string, Entry<string>>();
  readonly #ttl: number;
  readonly #negativeTtl: number;
  readonly #max: number;
  /** Queries that reached the inner resolver (for tests and figures). */
  queries = 0;

  constructor(
    private readonly inner: Resolver,
    private readonly clock: Clock,
    o: ResolverCacheOptions = {},
  ) {
    this.#ttl = o.ttlMs ?? 30_000;
    this.#negativeTtl = o.negativeTtlMs ?? 5_000;
    this.#max = o.maxEntries ?? 1024;
  }

  srv(name: string): Promise<SrvRecord[]> {
    return this.#cached(this.#srv, name.toLowerCase(), () => this.inner.srv(name));
  }

  addresses(host: string): Promise<string[]> {
    return this.#cached(this.#addresses, host.toLowerCase(), () => this.inner.addresses(host));
  }

  #cached<T>(map: Map<string, Entry<T>>, key: string, ask: () => Promise<T[]>): Promise<T[]> {
    const now = this.clock.now();
    const hit = map.get(key);
    if (hit !== undefined && now - hit.at < (hit.empty ? this.#negativeTtl : this.#ttl)) return hit.value;
    map.delete(key);
    if (map.size >= this.#max) map.delete(map.keys().next().value as string);
    this.queries++;
    const entry: Entry<T> = { at: now, empty: false, value: Promise.resolve([]) };
    entry.value = ask().then(
      (v) => ((entry.empty = v.length === 0), v),
      () => ((entry.empty = true), [] as T[]),
    );
    map.set(key, entry);
    return entry.value;
  }
}
