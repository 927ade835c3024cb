/**
 * siprec's forker as a relay process for the bench: one input stream per
 * sender SSRC, each forked to one output (own SSRC/sequence/timestamps) and
 * sent to the sink through the batching RTP socket.
 *
 * The bench multiplexes every stream onto one receive socket, so it gets a
 * 4 MiB receive buffer (node:dgram; Bun.udpSocket has no such option), as
 * the C relay gets 16 MiB; in production each tap leg has a socket of its own.
 * Usage: bun forker-relay.ts <listen-port> <sink-port> <streams>
 */
import dgram from "node:dgram";
import { Forker } from "../../src/rtp/forker.ts";
import { openRtpSocket } from "../../src/rtp/udp-socket.ts";
import { cryptoIds } from "../../src/platform/crypto-ids.ts";
import { systemClock } from "../../src/platform/system-clock.ts";

const [listen, sink, streams] = process.argv.slice(2).map(Number) as [number, number, number];
const forker = new Forker({ clock: systemClock, ids: cryptoIds });
const out = await openRtpSocket({ host: "127.0.0.1", port: 0, onPacket: () => {} });
const inputs: string[] = [];
for (let i = 1; i <= streams; i++) {
  const id = `s${i}`;
  inputs[i] = id;
  forker.addInput({ id, codec: "PCMU", clockRate: 8000 });
  forker.addOutput(id, {
    id: `o${i}`,
    group: "bench",
    payloadType: 0,
    codec: "PCMU",
    clockRate: 8000,
    ptimeMs: 20,
    dtmf: "drop",
    port: { send: (b) => out.send(b, sink, "127.0.0.1") },
  });
}
const rx = dgram.createSocket({ type: "udp4", recvBufferSize: 4 << 20 });
rx.on("message", (d: Uint8Array) => {
  const ssrc = (((d[8] as number) << 24) | ((d[9] as number) << 16) | ((d[10] as number) << 8) | (d[11] as number)) >>> 0;
  const id = inputs[ssrc];
  if (id !== undefined) forker.receive(id, d);
});
// A port-unreachable from the loopback (the sink not yet or no longer up) comes
// back as an "error" event; unhandled, node:dgram would end the process with it.
rx.on("error", (e: Error) => process.stderr.write(`relay: ${e.message}\n`));
rx.bind(listen, "127.0.0.1", () => process.stdout.write("ready\n"));
