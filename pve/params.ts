/**
 * A request's parameters validated as PVE's JSONSchema.pm validates them, with PVE's own messages:
 * types, enums, patterns, lengths, ranges, the registered formats this project's endpoints use and
 * property strings (used by the PVE API double). The schema itself: schema.ts.
 */
import { tryParseCalendarEvent } from "../tiers/calendar";
import { CONTENT_TYPES } from "./storage";
import { EMAIL_OR_USERNAME_PATTERN, JOB_ID_PATTERN, NODE_NAME_PATTERN, STORAGE_ID_PATTERN, VMID_PATTERN } from "./ids";
import { parseList } from "./values";
import { INTEGER, JsonSchema, NUMBER, isOptional, propertyStringFormat, toRegExp } from "./schema";

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
    const sub = properties[key] ?? properties[indexedKey(key)];
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

/**
 * `net0` → `net[n]`: the API schema (pve-docs apidata.js) writes a numbered family of properties
 * (`net0` to `net31`, qemu-server PVE/QemuServer.pm `json_config_properties`) once, as `net[n]`.
 */
function indexedKey(key: string): string {
  return key.replace(/\d+$/, "[n]");
}

/** JSON bodies carry true/false; PVE's booleans are 1/0. */
function normalizeScalar(value: string | number | boolean): string | number {
  if (value === true) return 1;
  if (value === false) return 0;
  return value;
}
