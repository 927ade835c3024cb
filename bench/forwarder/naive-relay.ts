/**
 * Baseline: the simplest Bun relay, one send per packet, no batching, no RTP
 * work (same 4 MiB receive buffer as the forker relay).
 * Usage: bun naive-relay.ts <listen-port> <sink-port>
 */
import dgram from "node:dgram";

const [listen, sink] = process.argv.slice(2).map(Number) as [number, number];
const out = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0, socket: { error: (_s, e) => void process.stderr.write(`relay: ${e.message}\n`) } });
const rx = dgram.createSocket({ type: "udp4", recvBufferSize: 4 << 20 });
rx.on("message", (d: Uint8Array) => void out.send(d, sink, "127.0.0.1"));
// A port-unreachable from the loopback (the sink not yet or no longer up) comes
// back as an "error" event; unhandled, node:dgram would end the process with it.
rx.on("error", (e: Error) => process.stderr.write(`relay: ${e.message}\n`));
rx.bind(listen, "127.0.0.1", () => process.stdout.write("ready\n"));
