export {};
/**
 * Baseline: the simplest Bun relay, one send per packet, no batching, no RTP work.
 * Usage: bun naive-relay.ts <listen-port> <sink-port>
 */
const [listen, sink] = process.argv.slice(2).map(Number) as [number, number];
const out = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
await Bun.udpSocket({ hostname: "127.0.0.1", port: listen, socket: { data: (_s, buf) => void out.send(buf, sink, "127.0.0.1") } });
process.stdout.write("ready\n");
