/**
 * The policy pack's configuration: what `pulumi preview --policy-pack policy --policy-pack-config
 * <file>` may set, per policy. One place for the JSON schemas the engine validates against
 * (`configSchema`), the defaults, and the reading of a config that the policies and the in-process
 * evaluator share. Kept free of zod on purpose: this module loads with the pack on every cold start.
 */
import type { PolicyConfigSchema } from "@pulumi/policy";
import { PROJECT_NAME } from "../tiers/names";
import { VMID_MAX, VMID_MIN } from "../pve/ids";

/** The pack is named after the project. */
export const PACK_NAME = PROJECT_NAME;

/** Config of every-guest-in-a-tier. */
export interface EveryGuestConfig {
  /** vmids that need no tier (scratch guests, guests backed up some other way). */
  ignoreVmids: number[];
}

/** Config of staggered-starts. */
export interface StaggerConfig {
  /** Two jobs on one storage must start at least this many minutes apart. */
  minutes: number;
}

export const DEFAULT_STAGGER_MINUTES = 10;
/** A week: the shortest cycle over which staggered-starts compares runs. */
const MAX_STAGGER_MINUTES = 7 * 24 * 60;

export const everyGuestConfigSchema: PolicyConfigSchema = {
  properties: {
    ignoreVmids: {
      type: "array",
      description: "vmids exempt from needing a tier (templates are always exempt).",
      items: { type: "integer", minimum: VMID_MIN, maximum: VMID_MAX },
      uniqueItems: true,
      default: [],
    },
  },
};

export const staggerConfigSchema: PolicyConfigSchema = {
  properties: {
    minutes: {
      type: "integer",
      description: "Minimum minutes between the starts of two jobs writing to the same storage.",
      minimum: 0,
      maximum: MAX_STAGGER_MINUTES,
      default: DEFAULT_STAGGER_MINUTES,
    },
  },
};

/** The configurable policies and their schemas, by policy name. */
const CONFIG_SCHEMAS: Record<string, PolicyConfigSchema> = {
  "every-guest-in-a-tier": everyGuestConfigSchema,
  "staggered-starts": staggerConfigSchema,
};

const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "remediate", "disabled"] as const;
export type EnforcementLevel = (typeof ENFORCEMENT_LEVELS)[number];

/**
 * A policy pack config as `--policy-pack-config` reads it: per policy name either an enforcement
 * level or an object of settings (with an optional `enforcementLevel`); the key `all` sets the level
 * of every policy.
 */
export type PackConfig = Record<
  string,
  EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
>;

/** The settings of one policy from `args.getConfig()`, defaults applied. Invalid values throw. */
export function readEveryGuestConfig(raw: unknown): EveryGuestConfig {
  const problems = checkSettings("every-guest-in-a-tier", raw);
  if (problems.length > 0) throw new Error(problems.join("; "));
  const ignore = (raw as { ignoreVmids?: number[] } | undefined)?.ignoreVmids;
  return { ignoreVmids: ignore ? [...ignore] : [] };
}

export function readStaggerConfig(raw: unknown): StaggerConfig {
  const problems = checkSettings("staggered-starts", raw);
  if (problems.length > 0) throw new Error(problems.join("; "));
  const minutes = (raw as { minutes?: number } | undefined)?.minutes;
  return { minutes: minutes ?? DEFAULT_STAGGER_MINUTES };
}

/**
 * Checks a whole pack config the way the engine checks it against the policies' schemas before a
 * preview: returns every problem, one a line, each naming the policy and the key. `policyNames` are
 * the policies of the pack (unknown names are a problem).
 */
export function validatePackConfig(
  config: unknown,
  policies: readonly { name: string; configSchema?: PolicyConfigSchema }[],
): string[] {
  const schemas = new Map(policies.map((p) => [p.name, p.configSchema]));
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    return ["the policy pack config must be a JSON object keyed by policy name"];
  }
  const problems: string[] = [];
  for (const [name, value] of Object.entries(config as Record<string, unknown>)) {
    if (name !== "all" && !schemas.has(name)) {
      problems.push(`${name}: no policy of this name in pack ${PACK_NAME}`);
      continue;
    }
    if (typeof value === "string") {
      if (!(ENFORCEMENT_LEVELS as readonly string[]).includes(value)) {
        problems.push(
          `${name}: ${JSON.stringify(value)} is not an enforcement level (${ENFORCEMENT_LEVELS.join(", ")})`,
        );
      }
      continue;
    }
    if (name === "all") {
      problems.push(`all: must be an enforcement level`);
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      problems.push(`${name}: must be an enforcement level or an object of settings`);
      continue;
    }
    const { enforcementLevel, ...settings } = value as Record<string, unknown>;
    if (
      enforcementLevel !== undefined &&
      !(ENFORCEMENT_LEVELS as readonly string[]).includes(enforcementLevel as string)
    ) {
      problems.push(`${name}.enforcementLevel: ${JSON.stringify(enforcementLevel)} is not an enforcement level`);
    }
    problems.push(...checkSettings(name, settings, schemas.get(name)));
  }
  return problems;
}

/**
 * Checks one policy's settings against its schema (the subset of JSON schema the schemas above
 * use). A policy without a schema takes no settings.
 */
function checkSettings(
  policy: string,
  raw: unknown,
  schema: PolicyConfigSchema | undefined = CONFIG_SCHEMAS[policy],
): string[] {
  if (raw === undefined || raw === null) return [];
  if (typeof raw !== "object" || Array.isArray(raw)) return [`${policy}: settings must be an object`];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key === "enforcementLevel") continue;
    const prop = schema?.properties[key];
    if (!prop) {
      problems.push(`${policy}.${key}: unknown setting`);
      continue;
    }
    problems.push(...checkValue(`${policy}.${key}`, value, prop as SimpleSchema));
  }
  return problems;
}

interface SimpleSchema {
  type?: string | string[];
  items?: unknown;
  minimum?: number;
  maximum?: number;
  uniqueItems?: boolean;
}

function checkValue(at: string, value: unknown, schema: SimpleSchema): string[] {
  switch (schema.type) {
    case "integer": {
      if (typeof value !== "number" || !Number.isInteger(value))
        return [`${at}: must be an integer, not ${JSON.stringify(value)}`];
      if (schema.minimum !== undefined && value < schema.minimum)
        return [`${at}: must be at least ${schema.minimum}, not ${value}`];
      if (schema.maximum !== undefined && value > schema.maximum)
        return [`${at}: must be at most ${schema.maximum}, not ${value}`];
      return [];
    }
    case "array": {
      if (!Array.isArray(value)) return [`${at}: must be an array, not ${JSON.stringify(value)}`];
      const problems = value.flatMap((v, i) => checkValue(`${at}[${i}]`, v, (schema.items ?? {}) as SimpleSchema));
      if (schema.uniqueItems && new Set(value).size !== value.length) problems.push(`${at}: items must be unique`);
      return problems;
    }
    default:
      return [];
  }
}
