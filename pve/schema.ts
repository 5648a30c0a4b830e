/**
 * The PVE API schema and what is checked against it. `pve/endpoints.json` is, verbatim, the schema of
 * the endpoints this project talks to, from PVE's own API viewer data: parameters with their
 * formats and limits, permissions, and return shapes. The client checks every answer against the
 * return shapes; the PVE API double validates every request's parameters the way PVE's JSONSchema.pm
 * does, with PVE's own messages.
 */
import * as fs from "fs";
import * as path from "path";
import { tryParseCalendarEvent } from "../tiers/calendar";
import { CONTENT_TYPES } from "./storage";
import { EMAIL_OR_USERNAME_PATTERN, JOB_ID_PATTERN, NODE_NAME_PATTERN, STORAGE_ID_PATTERN, VMID_PATTERN } from "./ids";
import { parseList } from "./values";
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
function toRegExp(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern.replace(/\(\?\^:/g, "(?:")})$`);
}

const isOptional = (s: JsonSchema): boolean => s.optional === 1 || s.optional === true;
const INTEGER = /^-?\d+$/;
const NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

/** Named property-string formats, as PVE's API returns them parsed (their keys come from the schema). */
function propertyStringFormat(name: string): Record<string, JsonSchema> | undefined {
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

// ---------------------------------------------------------------------------------------------
// Parameter validation, as PVE's JSONSchema.pm validates a request (used by the PVE API double).

/** A request's parameters as they arrive: form or query values, repeated keys as arrays. */
export type RawParams = Record<string, string | string[] | number | boolean>;

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/** PVE's storage-id check (`parse_id`), with its messages. */
function checkStorageId(id: string): void {
  if (id.length < 2) throw new Error(`storage ID '${id}' cannot be shorter than 2 characters`);
  if (!STORAGE_ID_PATTERN.test(id)) throw new Error(`storage ID '${id}' contains illegal characters`);
}

/** The registered formats this project's endpoints use, each throwing PVE's message when a value does not fit. */
const FORMAT_CHECKS: Record<string, (value: string) => void> = {
  "pve-vmid": (v) => {
    if (!VMID_PATTERN.test(v)) throw new Error("value does not look like a valid VM ID");
  },
  "pve-configid": (v) => {
    if (!JOB_ID_PATTERN.test(v)) throw new Error(`invalid configuration ID '${v}'`);
  },
  "pve-storage-id": checkStorageId,
  "pve-node": (v) => {
    if (!NODE_NAME_PATTERN.test(v)) throw new Error("value does not look like a valid node name");
  },
  "pve-calendar-event": (v) => {
    const parsed = tryParseCalendarEvent(v);
    if (!parsed.ok) throw new Error(parsed.error);
  },
  "pve-day-of-week": (v) => {
    if (!DAYS.includes(v)) throw new Error(`invalid day '${v}'`);
  },
  // pve-common PVE/JSONSchema.pm pve_verify_email_or_username
  "email-or-username": (v) => {
    if (!EMAIL_OR_USERNAME_PATTERN.test(v))
      throw new Error("value does not look like a valid email address or user name");
  },
  // pve-storage PVE/Storage/Plugin.pm verify_content
  "pve-storage-content": (v) => {
    if (!(CONTENT_TYPES as readonly string[]).includes(v)) throw new Error(`invalid content type '${v}'`);
  },
};

/** Parses a property string (`keep-last=3,keep-weekly=2`) against its format, as parse_property_string does. */
export function parsePropertyString(
  format: Record<string, JsonSchema>,
  text: string,
  validate?: (parsed: Record<string, string>) => void,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const part of text.split(",")) {
    if (/^\s*$/.test(part)) continue;
    const m = /^([^=]+)=(.+)$/.exec(part);
    let key: string;
    let value: string;
    if (m) {
      [key, value] = [m[1], m[2]];
    } else if (!part.includes("=")) {
      const defaultKey = Object.keys(format).find((k) => format[k].default_key);
      if (!defaultKey) throw new Error("value without key, but schema does not define a default key");
      [key, value] = [defaultKey, part];
    } else {
      throw new Error("missing key in comma-separated list property");
    }
    if (result[key] !== undefined) throw new Error(`duplicate key in comma-separated list property: ${key}`);
    const sub = format[key];
    if (!sub) throw new Error(`invalid key in comma-separated list property: ${key}`);
    const problems = typeErrors(value, sub);
    if (problems) throw new Error(`format error: ${key}: ${problems}`);
    result[key] = value;
  }
  validate?.(result);
  return result;
}

/** pve-storage's `validate_prune_backups`: keep-all excludes every other option. */
function validatePruneBackups(parsed: Record<string, string>): void {
  const others = Object.entries(parsed).filter(([k, v]) => k !== "keep-all" && Number(v) > 0);
  if (parsed["keep-all"] === "1" && others.length > 0)
    throw new Error("keep-all cannot be set together with other options.");
}

function checkFormat(format: string | Record<string, JsonSchema>, value: string): void {
  if (typeof format === "object") {
    parsePropertyString(format, value);
    return;
  }
  const propertyFormat = propertyStringFormat(format);
  if (propertyFormat) {
    parsePropertyString(propertyFormat, value, format === "prune-backups" ? validatePruneBackups : undefined);
    return;
  }
  const m = /^(.*?)(?:-(list|opt))?$/.exec(format)!;
  const check = FORMAT_CHECKS[m[1]];
  if (!check) return; // a format this project does not use: PVE's other checks still apply
  if (m[2] === "list") parseList(value).forEach(check);
  else if (m[2] === "opt") {
    if (value) check(value);
  } else check(value);
}

/** A scalar's type problem, with JSONSchema.pm's wording; undefined when it fits. */
function typeErrors(value: string, schema: JsonSchema): string | undefined {
  switch (schema.type) {
    case "boolean":
      return value === "0" || value === "1" ? undefined : `type check ('boolean') failed - got '${value}'`;
    case "integer":
      return INTEGER.test(value) ? undefined : `type check ('integer') failed - got '${value}'`;
    case "number":
      return NUMBER.test(value) ? undefined : `type check ('number') failed - got '${value}'`;
    default:
      return undefined;
  }
}

/** One scalar parameter against its schema: PVE's message for the first problem, or undefined. */
function scalarError(value: string, schema: JsonSchema): string | undefined {
  const typeError = typeErrors(value, schema);
  if (typeError) return typeError;
  if (schema.format) {
    try {
      checkFormat(schema.format, value);
    } catch (err) {
      return `invalid format - ${(err as Error).message}`;
    }
  }
  if (schema.pattern && !toRegExp(schema.pattern).test(value)) return "value does not match the regex pattern";
  if (schema.maxLength !== undefined && value.length > schema.maxLength) {
    return `value may only be ${schema.maxLength} characters long`;
  }
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    return `value must be at least ${schema.minLength} characters long`;
  }
  if ((schema.type === "integer" || schema.type === "number") && NUMBER.test(value)) {
    if (schema.maximum !== undefined && Number(value) > Number(schema.maximum)) {
      return `value must have a maximum value of ${schema.maximum}`;
    }
    if (schema.minimum !== undefined && Number(value) < Number(schema.minimum)) {
      return `value must have a minimum value of ${schema.minimum}`;
    }
  }
  if (schema.enum && !schema.enum.map(String).includes(value)) {
    return `value '${value}' does not have a value in the enumeration '${schema.enum.join(", ")}'`;
  }
  return undefined;
}

/** A request's validated parameters: scalars as strings, arrays as string arrays. */
export type Params = Record<string, string | string[]>;

/**
 * Validates a request's parameters (path parameters included) against a method's parameter schema.
 * Returns the parameters as strings, or PVE's `errors` map (parameter → message) when any is wrong.
 */
export function validateParameters(
  schema: JsonSchema,
  raw: RawParams,
): { params: Params; errors?: Record<string, string> } {
  const errors: Record<string, string> = {};
  const params: Params = {};
  const properties = schema.properties ?? {};
  for (const [key, rawValue] of Object.entries(raw)) {
    const sub = properties[key];
    const value = Array.isArray(rawValue) ? rawValue.map(String) : String(normalizeScalar(rawValue));
    if (!sub) {
      if (schema.additionalProperties === 0 || schema.additionalProperties === false) {
        errors[key] = "property is not defined in schema and the schema does not allow additional properties";
      } else {
        params[key] = value;
      }
      continue;
    }
    if (sub.type === "array") {
      const items = Array.isArray(value) ? value : [value];
      items.forEach((item, i) => {
        const problem = sub.items ? scalarError(item, sub.items) : undefined;
        if (problem) errors[`${key}[${i}]`] = problem;
      });
      params[key] = items;
      continue;
    }
    if (Array.isArray(value)) {
      errors[key] = `type check ('${sub.type ?? "string"}') failed - got ARRAY`;
      continue;
    }
    const problem = scalarError(value, sub);
    if (problem) errors[key] = problem;
    else params[key] = value;
  }
  for (const [key, sub] of Object.entries(properties)) {
    if (raw[key] === undefined && !isOptional(sub)) errors[key] = "property is missing and it is not optional";
    if (raw[key] !== undefined && sub.requires && raw[sub.requires] === undefined) {
      errors[sub.requires] = `missing property required by '${key}'`;
    }
  }
  return Object.keys(errors).length > 0 ? { params, errors } : { params };
}

/** JSON bodies carry true/false; PVE's booleans are 1/0. */
function normalizeScalar(value: string | number | boolean): string | number {
  if (value === true) return 1;
  if (value === false) return 0;
  return value;
}
