/**
 * The PVE API schema and what is checked against it. `pve/endpoints.json` is, verbatim, the schema of
 * the endpoints this project talks to, from PVE's own API viewer data: parameters with their
 * formats and limits, permissions, and return shapes. The client checks every answer against the
 * return shapes; the PVE API double validates every request's parameters (params.ts) the way PVE's JSONSchema.pm
 * does, with PVE's own messages.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../start/sources";

/** A (sub)schema as PVE writes it: Perl-ish JSON schema, flags as 0/1. */
export interface JsonSchema {
  type?: string;
  optional?: number | boolean;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: number | boolean | JsonSchema;
  enum?: (string | number)[];
  pattern?: string;
  format?: string | Record<string, JsonSchema>;
  maxLength?: number;
  minLength?: number;
  minimum?: number | string;
  maximum?: number | string;
  requires?: string;
  default?: unknown;
  default_key?: number;
  description?: string;
}

/** A permission check of the schema: `["perm", "/storage/{storage}", ["Datastore.Audit"], "any", 1]`, `["or", ...]`, ... */
export type PermissionCheck = unknown[];

/** One method of one endpoint. */
export interface MethodInfo {
  method: string;
  name: string;
  description?: string;
  parameters: JsonSchema;
  permissions?: { check?: PermissionCheck; user?: string; description?: string };
  returns: JsonSchema;
  protected?: number;
  proxyto?: string;
  allowtoken?: number;
}

interface EndpointEntry {
  path: string;
  info: Record<string, MethodInfo>;
}

/**
 * The schema file; code reads it from here (tests too), never from elsewhere. From the project folder,
 * not this module's: compiled, this module runs from dist/, where no data file is copied.
 */
const ENDPOINTS_FILE = path.join(PROJECT_DIR, "pve", "endpoints.json");

let endpoints: Map<string, EndpointEntry> | undefined;

/** Every endpoint of the schema, by path template (`/nodes/{node}/storage`). */
export function apiEndpoints(): Map<string, EndpointEntry> {
  if (!endpoints) {
    const doc = JSON.parse(fs.readFileSync(ENDPOINTS_FILE, "utf8")) as { endpoints: Record<string, EndpointEntry> };
    endpoints = new Map(Object.entries(doc.endpoints));
  }
  return endpoints;
}

/** An endpoint matched from a concrete path: its template, the path's parameters and its methods. */
export interface ResolvedPath {
  template: string;
  pathParams: Record<string, string>;
  methods: Record<string, MethodInfo>;
}

/** `/nodes/pve/storage` → the `/nodes/{node}/storage` endpoint with `{node: "pve"}`; undefined when not in the schema. */
export function resolvePath(apiPath: string): ResolvedPath | undefined {
  const segments = apiPath.split("/").filter((s) => s.length > 0);
  let best: { resolved: ResolvedPath; statics: number } | undefined;
  for (const [template, entry] of apiEndpoints()) {
    const parts = template.split("/").filter((s) => s.length > 0);
    if (parts.length !== segments.length) continue;
    const pathParams: Record<string, string> = {};
    let statics = 0;
    let ok = true;
    parts.forEach((part, i) => {
      const m = /^\{(.+)\}$/.exec(part);
      if (m) pathParams[m[1]] = segments[i];
      else if (part === segments[i]) statics += 1;
      else ok = false;
    });
    if (ok && (!best || statics > best.statics)) {
      best = { resolved: { template, pathParams, methods: entry.info }, statics };
    }
  }
  return best?.resolved;
}

/** The schema of one method of one path template; throws when the schema has no such endpoint (a bug). */
export function methodInfo(method: string, template: string): MethodInfo {
  const info = apiEndpoints().get(template)?.info[method];
  if (!info) throw new Error(`the PVE API schema has no ${method} ${template}`);
  return info;
}

/** PVE writes Perl regexes: `(?^:...)` is Perl's "default flags" group. */
export function toRegExp(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern.replace(/\(\?\^:/g, "(?:")})$`);
}

export const isOptional = (s: JsonSchema): boolean => s.optional === 1 || s.optional === true;
export const INTEGER = /^-?\d+$/;
export const NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

/** Named property-string formats, as PVE's API returns them parsed (their keys come from the schema). */
export function propertyStringFormat(name: string): Record<string, JsonSchema> | undefined {
  const jobProps = apiEndpoints().get("/cluster/backup")?.info.GET?.returns.items?.properties ?? {};
  const byName: Record<string, string> = {
    "prune-backups": "prune-backups",
    "backup-fleecing": "fleecing",
    "backup-performance": "performance",
  };
  const key = byName[name];
  return key ? jobProps[key]?.properties : undefined;
}

/**
 * Return shapes PVE itself does not keep, seen in its source: the check accepts them so that a real
 * cluster's answers pass. Keyed by `METHOD template`, then by property.
 */
const KNOWN_DEVIATIONS: Record<string, Record<string, string>> = {
  // API2/VZDump.pm joins the list with commas for this endpoint only.
  "GET /nodes/{node}/vzdump/defaults": { "exclude-path": "string" },
};

/**
 * Checks a value against a return schema. PVE's JSON is Perl's: integers and booleans may arrive as
 * strings (`"3"`, `"1"`), booleans as 0/1, and property strings already parsed into objects; those
 * are accepted. Returns the problems, each naming the place (`data[2].vmid`).
 */
function checkShape(value: unknown, schema: JsonSchema, at = "data", deviations?: Record<string, string>): string[] {
  const problems: string[] = [];
  visit(value, schema, at, problems, deviations ?? {});
  return problems;
}

/** The problems of one endpoint's answer, with the endpoint's known deviations allowed. */
export function checkAnswer(method: string, template: string, data: unknown): string[] {
  return checkShape(data, methodInfo(method, template).returns, "data", KNOWN_DEVIATIONS[`${method} ${template}`]);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function visit(value: unknown, schema: JsonSchema, at: string, problems: string[], deviations: Record<string, string>) {
  const type = schema.type;
  const fail = (expected: string) => problems.push(`${at}: expected ${expected}, got ${describe(value)}`);
  switch (type) {
    case undefined:
    case "any":
      return;
    case "null":
      if (value !== null && value !== undefined) fail("null");
      return;
    case "boolean":
      if (![true, false, 0, 1, "0", "1"].includes(value as never)) fail("a boolean (0 or 1)");
      return;
    case "integer":
      if (
        !(typeof value === "number" && (Number.isInteger(value) || !Number.isFinite(value))) &&
        !(typeof value === "string" && INTEGER.test(value))
      )
        fail("an integer");
      else if (!Number.isSafeInteger(Number(value))) problems.push(`${at}: ${tooLarge(value)}`);
      else checkRange(Number(value), schema, at, problems);
      return;
    case "number":
      if (typeof value !== "number" && !(typeof value === "string" && NUMBER.test(value))) fail("a number");
      else if (!Number.isFinite(Number(value))) problems.push(`${at}: ${tooLarge(value)}`);
      else checkRange(Number(value), schema, at, problems);
      return;
    case "string": {
      if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        // A property string (`prune-backups`, `fleecing`, ...) that the API returns already parsed.
        const format = typeof schema.format === "string" ? propertyStringFormat(schema.format) : schema.format;
        if (format) visit(value, { type: "object", properties: format }, at, problems, {});
        else fail("a string");
        return;
      }
      if (typeof value !== "string" && typeof value !== "number") return fail("a string");
      const text = String(value);
      if (schema.enum && !schema.enum.map(String).includes(text)) fail(`one of ${schema.enum.join(", ")}`);
      if (schema.pattern && !toRegExp(schema.pattern).test(text)) fail(`a value matching ${schema.pattern}`);
      if (schema.maxLength !== undefined && text.length > schema.maxLength)
        fail(`at most ${schema.maxLength} characters`);
      return;
    }
    case "array":
      if (!Array.isArray(value)) return fail("an array");
      if (schema.items) value.forEach((item, i) => visit(item, schema.items!, `${at}[${i}]`, problems, {}));
      return;
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return fail("an object");
      const record = value as Record<string, unknown>;
      for (const [key, sub] of Object.entries(schema.properties ?? {})) {
        const v = record[key];
        if (v === undefined || v === null) {
          if (!isOptional(sub) && sub.type !== "null") problems.push(`${at}.${key}: missing`);
          continue;
        }
        if (deviations[key] && typeof v === deviations[key]) continue;
        visit(v, sub, `${at}.${key}`, problems, {});
      }
      const extra = schema.additionalProperties;
      if (schema.properties && (extra === 0 || extra === false)) {
        for (const key of Object.keys(record)) {
          if (!(key in schema.properties)) problems.push(`${at}.${key}: not in the schema`);
        }
      }
      return;
    }
    default:
      return;
  }
}

/**
 * A number beyond what is read exactly: integers past 2^53, anything past a double's range (which
 * JSON.parse has made Infinity, its digits gone).
 */
function tooLarge(value: unknown): string {
  const shown = typeof value === "number" && !Number.isFinite(value) ? "a number" : describe(value);
  return Number.isFinite(Number(value))
    ? `${shown} is too large to read exactly (beyond 2^53)`
    : `${shown} is too large to read (beyond 1.8e308)`;
}

/**
 * An answer that passed `checkAnswer`, read as PVE's own clients read it: integers and numbers that
 * arrive as strings (`"vmid": "100"`) become numbers, in the answer and in the records it lists.
 * Deeper values (a job's `prune-backups`, parsed from its property string) are left as PVE sends them.
 */
export function readAnswer(method: string, template: string, data: unknown): unknown {
  const schema = methodInfo(method, template).returns;
  if (schema.type === "array" && schema.items && Array.isArray(data)) {
    const items = schema.items;
    return data.map((item) => readNumbers(item, items));
  }
  return readNumbers(data, schema);
}

/** A number, or a record's numbers, read from the strings PVE may send them as. */
function readNumbers(value: unknown, schema: JsonSchema): unknown {
  const isNumber = (s: JsonSchema) => s.type === "integer" || s.type === "number";
  if (isNumber(schema) && typeof value === "string") return Number(value);
  if (schema.type !== "object" || !schema.properties || typeof value !== "object" || value === null) return value;
  const record = { ...(value as Record<string, unknown>) };
  for (const [key, sub] of Object.entries(schema.properties)) {
    if (isNumber(sub) && typeof record[key] === "string") record[key] = Number(record[key]);
  }
  return record;
}

function checkRange(n: number, schema: JsonSchema, at: string, problems: string[]) {
  if (schema.minimum !== undefined && n < Number(schema.minimum))
    problems.push(`${at}: ${n} is below ${schema.minimum}`);
  if (schema.maximum !== undefined && n > Number(schema.maximum))
    problems.push(`${at}: ${n} is above ${schema.maximum}`);
}
