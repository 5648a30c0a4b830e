/**
 * The @pulumi/policy internals this project relies on, in one place. @pulumi/policy exports these at
 * runtime (its analyzer server builds every policy's arguments with them) but its typings strip them
 * as @internal, so they can change in any release: the package is pinned to an exact version
 * (package.json, policy/package.json), and this module is the only one that reaches inside it.
 *
 * - the strings the engine sends for values unknown during preview, one per type;
 * - the proxy that makes reading such a value throw `UnknownValueError`, and the key that unwraps it;
 * - how a policy's resource class is matched to a Pulumi type token.
 *
 * Only `@pulumi/policy/proxy` is loaded (it has no dependencies): the package's index also loads its
 * gRPC server, half a second that the in-process evaluator and the pack's readers do not need.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const policyProxy = require("@pulumi/policy/proxy") as {
  unknownCheckingProxy<T extends object>(value: T): T;
  UnknownValueError: new (...args: never[]) => Error;
  getSpecialProxyTarget: string;
  unknownBooleanValue: string;
  unknownNumberValue: string;
  unknownStringValue: string;
  unknownArrayValue: string;
  unknownAssetValue: string;
  unknownArchiveValue: string;
  unknownObjectValue: string;
};

/** What the engine sends for a string (or any value the SDK cannot type) unknown during preview. */
export const UNKNOWN_STRING_VALUE: string = policyProxy.unknownStringValue;

/** Every string the engine sends for an unknown value (one per type). */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  policyProxy.unknownBooleanValue,
  policyProxy.unknownNumberValue,
  policyProxy.unknownStringValue,
  policyProxy.unknownArrayValue,
  policyProxy.unknownAssetValue,
  policyProxy.unknownArchiveValue,
  policyProxy.unknownObjectValue,
]);

/** Thrown by the proxy when a policy reads a value unknown during preview. */
export const UnknownValueError = policyProxy.UnknownValueError;

/** The key that returns the plain object behind the proxy (undefined on anything else). */
export const PROXY_TARGET_KEY: string = policyProxy.getSpecialProxyTarget;

/** Wraps properties as the analyzer server hands them to policies: unknown values throw when read. */
export function unknownCheckingProxy<T extends object>(value: T): T {
  return policyProxy.unknownCheckingProxy(value);
}

/**
 * The Pulumi type token of a resource class: its `__pulumiType` when a non-empty string, as
 * @pulumi/policy's own getPulumiType (policy.js) reads it; a test holds the two equal.
 */
export function getPulumiType(resourceClass: unknown): string | undefined {
  const pulumiType = (resourceClass as { __pulumiType?: unknown } | null | undefined)?.__pulumiType;
  return typeof pulumiType === "string" && pulumiType.length > 0 ? pulumiType : undefined;
}
