/** A test call toward an SRS on 127.0.0.1:`port` over TCP, two streams, 3 s, plain RTP, real sockets: what the integration tests start from. */
import { systemClock } from "../../src/platform/system-clock.ts";
import { cryptoIds } from "../../src/platform/crypto-ids.ts";
import { realNet } from "../../src/platform/net.ts";
import type { TestCallOptions } from "../../src/test-call/run.ts";

export function loopbackCall(port: number, o: Partial<TestCallOptions> = {}): TestCallOptions {
  return {
    srsUri: `sip:srs@127.0.0.1:${port}`,
    transport: "tcp",
    streams: 2,
    durationMs: 3000,
    codecs: ["PCMU", "PCMA"],
    srtp: "off",
    participants: [],
    localHost: "127.0.0.1",
    net: realNet("127.0.0.1"),
    clock: systemClock,
    ids: cryptoIds,
    ...o,
  };
}
