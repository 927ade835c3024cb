import { expect, test } from "bun:test";
import { Secret } from "./secret.ts";

test("a Secret shows its value only through reveal()", () => {
  const s = new Secret("hunter22", "file:/etc/siprec/pw");
  expect(s.reveal()).toBe("hunter22");
  expect(String(s)).toBe("[redacted]");
  expect(`${s}`).toBe("[redacted]");
  expect(JSON.stringify({ s })).toBe('{"s":"[redacted]"}');
  expect(Bun.inspect(s)).not.toContain("hunter22");
  expect(Bun.inspect({ nested: [s] })).not.toContain("hunter22");
  expect(s.source).toBe("file:/etc/siprec/pw");
  expect(s.isEmpty).toBe(false);
});
