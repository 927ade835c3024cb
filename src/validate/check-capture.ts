/**
 * `siprec validate capture.pcap`: every SIPREC request found in a capture
 * (over UDP, fragments reassembled, or TCP, streams reassembled)
 * (an INVITE or UPDATE with a recording body, or `Require: siprec`) is
 * checked with the rules of a SIP message; findings name the packet
 * (`file#N`, N the packet's place in the capture) and the message.
 */
import { checkSipMessage } from "./check-message.ts";
import { FindingSink } from "./rules.ts";
import type { Libxml } from "../siprec/metadata/libxml.ts";
import { CaptureReader } from "../pcap/reader.ts";
import { type TimedDatagram, UdpStream } from "../pcap/datagrams.ts";

const SIPREC_REQUEST = /^(INVITE|UPDATE) \S+ SIP\/2\.0\r?\n/;

export function checkCapture(lib: Libxml, bytes: Uint8Array, sink: FindingSink): void {
  const reader = new CaptureReader();
  const udp = new UdpStream();
  const got = reader.push(bytes);
  const end = got.ok ? reader.finish() : got;
  const packets = got.ok ? got.value : [];
  let checked = 0;
  packets.forEach((p, i) => {
    for (const d of udp.pushAll(p)) check(d, i);
  });
  function check(d: TimedDatagram, i: number): void {
    const head = new TextDecoder().decode(d.payload.subarray(0, 2048));
    if (!SIPREC_REQUEST.test(head)) return;
    if (!/^require:.*\bsiprec\b/im.test(head) && !/^(content-type|c):\s*(multipart\/mixed|application\/rs-metadata)/im.test(head)) return;
    checked++;
    const method = head.slice(0, head.indexOf(" "));
    const callId = /^(?:call-id|i):\s*(\S+)/im.exec(head)?.[1] ?? "?";
    const sub = new FindingSink(`${sink.file}#${i + 1}`);
    checkSipMessage(lib, d.payload, sub);
    for (const f of sub.findings) sink.findings.push({ ...f, message: `${method} ${callId} (${d.src}:${d.sport} -> ${d.dst}:${d.dport}): ${f.message}` });
  }
  if (!end.ok) sink.add("capture-damaged", `${end.error.message} at byte ${end.error.offset}; the ${packets.length} packets before it were checked`);
  if (checked === 0) sink.add("capture-no-siprec", `no SIPREC INVITE or UPDATE in ${udp.counters.packets} packets (SIP over UDP and TCP read)`);
}
