import { expect, test } from "bun:test";
import { locateKey, parsePath } from "./key-position.ts";

const TEXT = `# c
[freeswitch]
port = 1

[[srs]]
name = "a"
[[srs]]
  name = "b"
  "transport" = "x"
[recording]
rtp.port = 2
[[metadata.map]]
element = "e"
`;

test("parsePath", () => {
  expect(parsePath("srs[1].transport")).toEqual(["srs", 1, "transport"]);
  expect(parsePath("metadata.map[0].element")).toEqual(["metadata", "map", 0, "element"]);
});

test("keys in tables, arrays of tables, quoted and dotted keys", () => {
  expect(locateKey(TEXT, "freeswitch.port")).toEqual({ line: 3, column: 1 });
  expect(locateKey(TEXT, "srs[1].name")).toEqual({ line: 8, column: 3 });
  expect(locateKey(TEXT, "srs[1].transport")?.line).toBe(9);
  expect(locateKey(TEXT, "recording.rtp.port")?.line).toBe(11);
  expect(locateKey(TEXT, "metadata.map[0].element")?.line).toBe(13);
});

test("a missing key points at its table header; unknown paths give nothing", () => {
  expect(locateKey(TEXT, "srs[0].uri")?.line).toBe(5);
  expect(locateKey(TEXT, "nothing.here")).toBeUndefined();
  expect(locateKey(TEXT, "")).toBeUndefined();
});
