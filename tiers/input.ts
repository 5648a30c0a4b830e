import type * as z from "zod";
import { formatPath } from "./config";

/**
 * Bad input that is not a flag: a file that cannot be read or does not validate, a stack that does
 * not exist, a setting the stack lacks. The one error the domain throws for what the user gave; its
 * message is one line naming the file, the place and the value. cli/exit.ts prints it as
 * `error: <message>` and exits 2.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

/**
 * Parses a JSON document's text and validates it against `schema`: the one read-and-validate of every
 * JSON input (snapshots, status documents, policy configs, drill results). Every problem is named in
 * one line: the file, the place (`$.guests[0].state`), what is wrong and the value found.
 */
export function parseJsonDocument<T>(
  text: string,
  file: string,
  schema: z.ZodType<T>,
  { what, emptyHint }: { what?: string; emptyHint?: string } = {},
): T {
  // JSON.parse would say "Unexpected end of JSON input"
  if (text.trim() === "")
    throw new InputError(`${file}: empty${emptyHint ? `, ${emptyHint}` : ", not a JSON document"}`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    let value: unknown = raw;
    for (const key of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
    const keys = issue.code === "unrecognized_keys" ? ` ${issue.keys.join(", ")}` : "";
    const got = value === undefined ? "missing" : JSON.stringify(value).slice(0, 80);
    return `${formatPath("$", issue.path)}: ${issue.message}${keys} (got ${got})`;
  });
  throw new InputError(`${file}: ${what ? `${what}: ` : ""}${problems.join("; ")}`);
}
