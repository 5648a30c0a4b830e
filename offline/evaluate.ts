/**
 * Runs the pack's policies in process: the same policy objects the pack serves, given the
 * arguments @pulumi/policy's analyzer server would give them, without the Pulumi CLI and without
 * gRPC. Used by `npm run check`, the tests and the benchmark, on what `runProgramOffline`
 * (offline/preview.ts) returns.
 *
 * Arguments are built as node_modules/@pulumi/policy/server.js builds them: each resource's
 * properties behind the same unknown-checking proxy (`unknownCheckingProxy`, so an unknown value
 * throws `UnknownValueError` when read, as it does under the engine), `isType`/`asType` by the
 * resource class's Pulumi type, `getConfig` returning the policy's settings without its
 * enforcement level, `notApplicable` throwing. The root `pulumi:pulumi:Stack` resource is added
 * with the stack outputs as its properties, as the engine sends it to stack policies. Enforcement
 * levels follow the config as the CLI reads `--policy-pack-config` (a policy's own level, else
 * `all`, else the policy's default). A policy that reads an unknown value without guarding it is
 * reported the way the server reports it: an advisory "can't run ... during preview".
 *
 * Deliberately not through protobuf: converting a 10,000-guest stack to a protobuf Struct alone
 * takes seconds, which is the engine's cost, not the policies'.
 */
import type {
  Policies,
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
// The output module alone: the SDK's index loads its whole runtime, which judging does not need.
import { isUnknown } from "@pulumi/pulumi/output";
import type { StackOutputs } from "../tiers/inventory";
import { EnforcementLevel, PACK_NAME, PackConfig, validatePackConfig } from "../policy/config";
import { policies as packPolicies } from "../policy/policies";
import { ROOT_STACK_TYPE as STACK_TYPE } from "../tiers/names";
import * as policyRuntime from "../policy/sdkInternals";

type ViolationLevel = "mandatory" | "advisory";

export interface Violation {
  policy: string;
  level: ViolationLevel;
  message: string;
  /** The resource the violation is about, when it is about one. */
  urn?: string;
}

/** A resource as evaluatePolicies needs it: offline/preview.ts' RegisteredResource fits. */
export interface EvaluatedResource {
  type: string;
  name: string;
  urn: string;
  /** Its inputs, as registered. */
  props: Record<string, unknown>;
  /** The parent's URN. */
  parent?: string;
  protect?: boolean;
  ignoreChanges?: readonly string[];
}

export interface EvaluateOptions {
  /**
   * The stack's resources with their inputs (`runProgramOffline(...).resources`), the root
   * `pulumi:pulumi:Stack` resource among them; unknown values as the SDK's `unknown` (what mocks
   * record during preview) or the engine's sentinel strings.
   */
  resources: readonly EvaluatedResource[];
  /** The stack outputs: what the root stack resource carries as its properties. */
  outputs: StackOutputs | Record<string, unknown>;
  /** A `--policy-pack-config` document; validated against the policies' schemas first. */
  config?: PackConfig;
  /** The policies to run; default: the whole pack. */
  policies?: Policies;
}

/** A policy pack config the policies' schemas reject: one problem a line. */
export class PolicyConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid policy pack config:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "PolicyConfigError";
  }
}

/**
 * Runs every policy (resource policies on each resource, stack policies once on all of them) and
 * returns the violations, mandatory first, then in policy order and report order. Synchronous: the
 * pack's policies are; a policy returning a promise is refused. Throws PolicyConfigError on a bad
 * config and, as the server does, on a policy that fails with anything but an unknown value.
 */
export function evaluatePolicies(options: EvaluateOptions): Violation[] {
  const policies = options.policies ?? packPolicies;
  const config = options.config ?? {};
  const problems = validatePackConfig(config, policies);
  if (problems.length > 0) throw new PolicyConfigError(problems);

  const resources = buildResources(options);
  const stackTags: ReadonlyMap<string, string> = new Map();
  const violations: (Violation & { order: number })[] = [];

  policies.forEach((policy, order) => {
    let level = enforcementLevel(policy.name, policy.enforcementLevel, config);
    if (level === "disabled") return;
    if (level === "remediate") level = "mandatory"; // as the server reports a remediation that still fails
    const push = (message: string, urn: string | undefined, lvl: ViolationLevel = level as ViolationLevel) =>
      violations.push({ policy: policy.name, level: lvl, message, ...(urn ? { urn } : {}), order });
    const getConfig = <T extends object>(): T => settingsOf(config[policy.name]) as T;

    const resourcePolicy = policy as ResourceValidationPolicy;
    if (resourcePolicy.validateResource) {
      const validations = Array.isArray(resourcePolicy.validateResource)
        ? resourcePolicy.validateResource
        : [resourcePolicy.validateResource];
      const onlyType = validations.length === 1 ? policyRuntime.getPulumiType(validations[0]) : undefined;
      for (const resource of resources) {
        if (onlyType && resource.type !== onlyType) continue;
        const args: ResourceValidationArgs = {
          type: resource.type,
          props: resource.props,
          urn: resource.urn,
          name: resource.name,
          opts: resource.opts,
          stackTags,
          isType: resource.isType,
          // The same function as the resource's; the typings differ only in how they name the result.
          asType: resource.asType as unknown as ResourceValidationArgs["asType"],
          getConfig,
          notApplicable,
        };
        // The urn a resource policy reports is ignored: the violation is the resource's.
        const report: ReportViolation = (message) => push(message, resource.urn);
        for (const validate of validations) {
          run(
            policy.name,
            () => validate(args, report),
            (message) => push(message, resource.urn, "advisory"),
          );
        }
      }
    }

    const stackPolicy = policy as StackValidationPolicy;
    if (stackPolicy.validateStack) {
      const onlyType = policyRuntime.getPulumiType(stackPolicy.validateStack);
      if (onlyType && !resources.some((r) => r.type === onlyType)) return;
      const args: StackValidationArgs = { resources, stackTags, getConfig, notApplicable };
      const report: ReportViolation = (message, urn) => push(message, urn);
      run(
        policy.name,
        () => stackPolicy.validateStack(args, report),
        (message) => push(message, undefined, "advisory"),
      );
    }
  });

  const rank = (v: Violation) => (v.level === "mandatory" ? 0 : 1);
  return violations
    .map((v, i) => ({ v, i }))
    .sort((a, b) => rank(a.v) - rank(b.v) || a.v.order - b.v.order || a.i - b.i)
    .map(({ v: { order: _order, ...v } }) => v);
}

/** Mandatory violations only: what stops `pulumi preview`. */
export function mandatoryViolations(violations: readonly Violation[]): Violation[] {
  return violations.filter((v) => v.level === "mandatory");
}

class NotApplicableError extends Error {}

function notApplicable(reason?: string): never {
  throw new NotApplicableError(reason ?? "Policy does not apply");
}

/** Runs one validation the way the server does: unknown values become an advisory, the rest throws. */
function run(policyName: string, validate: () => unknown, onUnknown: (message: string) => void): void {
  try {
    const result = validate();
    if (result && typeof (result as { then?: unknown }).then === "function") {
      throw new Error(`policy ${policyName} returned a promise; evaluatePolicies runs synchronous policies only`);
    }
  } catch (err) {
    if (err instanceof policyRuntime.UnknownValueError) {
      onUnknown(`can't run policy '${policyName}' from policy pack '${PACK_NAME}' during preview: ${err.message}`);
    } else if (err instanceof NotApplicableError) {
      return;
    } else {
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(`Error validating stack with policy '${policyName}': ${message}`, { cause: err });
    }
  }
}

function enforcementLevel(name: string, own: EnforcementLevel | undefined, config: PackConfig): EnforcementLevel {
  const level = (entry: PackConfig[string] | undefined): EnforcementLevel | undefined =>
    typeof entry === "string" ? entry : entry?.enforcementLevel;
  return level(config[name]) ?? level(config.all) ?? own ?? "advisory";
}

function settingsOf(entry: PackConfig[string] | undefined): Record<string, unknown> {
  if (entry === undefined || typeof entry === "string") return {};
  const { enforcementLevel: _level, ...settings } = entry;
  return settings;
}

/**
 * The resources as the server hands them to policies: the root stack resource with the stack
 * outputs as its properties, every other with its inputs.
 */
function buildResources(options: EvaluateOptions): PolicyResource[] {
  const list = options.resources;
  if (!list.some((r) => r.type === STACK_TYPE)) {
    throw new Error(`evaluatePolicies needs the root ${STACK_TYPE} resource among the resources`);
  }
  const byUrn = new Map<string, PolicyResource>();
  const built = list.map((r) => {
    const type = r.type;
    const given = type === STACK_TYPE ? (options.outputs as Record<string, unknown>) : r.props;
    const props = policyRuntime.unknownCheckingProxy((toEngineValue(given) ?? {}) as Record<string, unknown>);
    const opts: PolicyResourceOptions = {
      protect: r.protect === true,
      ignoreChanges: [...(r.ignoreChanges ?? [])],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
      ...(r.parent ? { parent: r.parent } : {}),
    };
    const resource: PolicyResource = {
      type,
      props,
      urn: r.urn,
      name: r.name,
      opts,
      dependencies: [],
      propertyDependencies: {},
      isType: (resourceClass) => isTypeOf(type, resourceClass),
      asType: ((resourceClass: unknown) =>
        isTypeOf(type, resourceClass) ? props : undefined) as PolicyResource["asType"],
    };
    byUrn.set(r.urn, resource);
    return resource;
  });
  list.forEach((r, i) => {
    const parent = r.parent ? byUrn.get(r.parent) : undefined;
    if (parent) built[i].parent = parent;
  });
  return built;
}

/** As server.js: by the class's Pulumi type, else its isInstance. */
function isTypeOf(type: string, resourceClass: unknown): boolean {
  const pulumiType = policyRuntime.getPulumiType(resourceClass);
  if (pulumiType) return type === pulumiType;
  const isInstance = (resourceClass as { isInstance?: (o: unknown) => boolean }).isInstance;
  return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

/**
 * A value as the engine would send it: undefined properties dropped, the SDK's `unknown` (what
 * mocks record for an unknown input during preview) turned into the engine's unknown sentinel.
 */
export function toEngineValue(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (isUnknown(value)) return policyRuntime.UNKNOWN_STRING_VALUE;
  if (Array.isArray(value)) return value.map((v) => toEngineValue(v) ?? null);
  const out: Record<string, unknown> = {};
  for (const k in value) {
    if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
    const x = toEngineValue((value as Record<string, unknown>)[k]);
    if (x !== undefined) out[k] = x;
  }
  return out;
}
