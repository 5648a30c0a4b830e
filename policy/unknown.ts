/**
 * Reading values that may be unknown during preview. The engine sends an unknown value (e.g. a job's
 * storage taken from a storage being created) as a sentinel string, and @pulumi/policy's proxy throws
 * when a policy reads one. Everything the pack reads goes through `toPlain` or `read`, which turn that
 * into the `UNKNOWN` symbol; the typed views below keep it, so each policy skips what is unknown
 * instead of crashing or reporting a false violation.
 */
import { PROXY_TARGET_KEY, UNKNOWN_SENTINELS, UnknownValueError } from "./sdkInternals";

/** A value that is not known during preview. */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");
type Unknown = typeof UNKNOWN;
export type Maybe<T> = T | Unknown;

/**
 * A value as `toPlain` returns it for a property of type T: the same shape, with `UNKNOWN` possible
 * at every level (the engine may send any part of an input as unknown).
 */
export type MaybeDeep<T> =
  | Unknown
  | (T extends readonly (infer E)[] ? MaybeDeep<E>[] : T extends object ? { [K in keyof T]?: MaybeDeep<T[K]> } : T);

/** True when the value or anything inside it is unknown. */
export function hasUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some(hasUnknown);
  return Object.values(value).some(hasUnknown);
}

/** `obj[key]` as the engine's proxy hands it out, with `UNKNOWN` where the proxy would throw. */
function read(obj: unknown, key: string | number): unknown {
  if (obj === null || typeof obj !== "object") return undefined;
  let value: unknown;
  try {
    value = (obj as Record<string | number, unknown>)[key];
  } catch (err) {
    if (err instanceof UnknownValueError) return UNKNOWN;
    throw err;
  }
  return typeof value === "string" && UNKNOWN_SENTINELS.has(value) ? UNKNOWN : value;
}

/**
 * A plain, deep copy of a value read through the proxy: objects and arrays copied, unknown values
 * replaced by `UNKNOWN`. Reading once keeps the rest of the pack free of proxies and try/catch.
 * Behind the proxy, the copy walks its target directly (as @pulumi/policy's own serializer does):
 * going through the proxy would allocate a proxy per nested object, ten times slower on a large
 * stack; the sentinels are recognised either way.
 */
export function toPlain(value: unknown): unknown {
  if (value !== null && typeof value === "object") {
    const target = (value as Record<string, unknown>)[PROXY_TARGET_KEY];
    if (target !== undefined && target !== null && typeof target === "object") return copyPlain(target);
  }
  return copyThroughProxy(value);
}

function copyPlain(value: unknown): unknown {
  if (typeof value === "string") return UNKNOWN_SENTINELS.has(value) ? UNKNOWN : value;
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    const n = value.length;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = copyPlain(value[i]);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = copyPlain(v);
  }
  return out;
}

function copyThroughProxy(value: unknown): unknown {
  if (typeof value === "string") return UNKNOWN_SENTINELS.has(value) ? UNKNOWN : value;
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    const n = value.length;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = copyThroughProxy(read(value, i));
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = read(value, key);
    if (v !== undefined) out[key] = v === UNKNOWN ? UNKNOWN : copyThroughProxy(v);
  }
  return out;
}

// Typed views of plain values: `undefined` when absent (or of another type), `UNKNOWN` when unknown.

export function asString(v: unknown): Maybe<string | undefined> {
  if (v === UNKNOWN) return UNKNOWN;
  return typeof v === "string" ? v : undefined;
}

/** A string where "" means absent (PVE and the provider send "" for an unset option). */
export function asOptionalString(v: unknown): Maybe<string | undefined> {
  const s = asString(v);
  return s === "" ? undefined : s;
}

export function asBoolean(v: unknown): Maybe<boolean | undefined> {
  if (v === UNKNOWN) return UNKNOWN;
  if (typeof v === "boolean") return v;
  if (v === 1 || v === "1" || v === "true") return true;
  if (v === 0 || v === "0" || v === "false") return false;
  return undefined;
}

/** Numbers, and numeric strings (the provider's vmids are strings). */
export function asNumber(v: unknown): Maybe<number | undefined> {
  if (v === UNKNOWN) return UNKNOWN;
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string" && /^\s*\d+\s*$/.test(v)) return Number(v);
  return undefined;
}

export function asList<T>(v: unknown, each: (item: unknown) => Maybe<T | undefined>): Maybe<Maybe<T>[] | undefined> {
  if (v === UNKNOWN) return UNKNOWN;
  if (!Array.isArray(v)) return undefined;
  const out: Maybe<T>[] = [];
  for (const item of v) {
    const x = each(item);
    if (x !== undefined) out.push(x);
  }
  return out;
}

/** The known items of a list, or UNKNOWN when the list or any item is unknown. */
export function fullyKnown<T>(list: Maybe<Maybe<T>[] | undefined>): Maybe<T[] | undefined> {
  if (list === UNKNOWN) return UNKNOWN;
  if (list === undefined) return undefined;
  return list.some((x) => x === UNKNOWN) ? UNKNOWN : (list as T[]);
}
