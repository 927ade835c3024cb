/**
 * Shared schema building blocks for the config file (zod). Pure: no file,
 * env or clock access. Messages are written for operators and name the
 * allowed values or range.
 */
import { z } from "zod";

export const port = z.number().int().min(1).max(65535);
/** 0 is allowed where it means "let the OS choose" or "off". */
export const portOrZero = z.number().int().min(0).max(65535);
export const millis = (min: number, max: number) => z.number().int().min(min).max(max);
export const seconds = (min: number, max: number) => z.number().int().min(min).max(max);

/** A host name or IP literal (IPv6 without brackets). */
export const host = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.:_-]+$/, { message: "expected a host name or IP address" });

/** Names operators type and logs print: server names, group names. */
export const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, {
  message: "expected 1-64 characters: letters, digits, '_', '.', '-' (starting with a letter or digit)",
});

/** Environment variable names as POSIX shells accept them. */
export const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "expected an environment variable name like SIPREC_ESL_PASSWORD" });

export const filePath = z.string().min(1).max(4096);

/** A JavaScript regular expression given as a string; checked to compile. */
export const regex = z
  .string()
  .min(1)
  .max(1000)
  .superRefine((s, ctx) => {
    try {
      new RegExp(s);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: `invalid regular expression: ${(e as Error).message}`, input: s });
    }
  });

/** XML NCName (no colon), used for extension-data element names. */
export const xmlName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, { message: "expected an XML element name (letters, digits, '_', '.', '-')" });

/** 127.0.0.0/8, ::1 (bracketed or not) or localhost. */
export function isLoopback(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, "").toLowerCase();
  return a === "localhost" || a === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}
