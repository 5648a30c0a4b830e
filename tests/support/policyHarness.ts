/**
 * Runs the policy pack the way the Pulumi CLI does, and talks to it over the Analyzer gRPC
 * protocol: `node <@pulumi/pulumi>/cmd/run-policy-pack <engine-address> .` in the pack's folder,
 * which loads index.ts through ts-node (type-checking it), serves the analyzer on 127.0.0.1 and
 * prints the port. Used by the end-to-end test and the benchmark; not part of the pack (index.ts
 * does not import it).
 *
 * run-policy-pack drops its `<engine-address>` argument: the SDK reaches the engine only through
 * PULUMI_NODEJS_ENGINE (for logging), which is left unset here, so log messages go to stderr and any
 * address will do.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type * as analyzerGrpcTypes from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import type * as structTypes from "google-protobuf/google/protobuf/struct_pb";
import { EvaluatedResource, toEngineValue } from "../../offline/evaluate";
import { PROJECT_NAME, ROOT_STACK_TYPE as STACK_TYPE } from "../../tiers/names";
import { Empty, PULUMI_DIR, Struct, grpc } from "./pulumiGrpc";

export const POLICY_DIR = path.resolve(__dirname, "../../policy");
const RUN_POLICY_PACK = path.join(PULUMI_DIR, "cmd", "run-policy-pack");
const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb") as typeof analyzerGrpcTypes;

export type AnalyzerClient = analyzerGrpcTypes.AnalyzerClient;

export interface PackProcess {
  port: number;
  client: AnalyzerClient;
  child: ChildProcess;
  /** What the pack wrote to stderr so far. */
  stderr(): string;
  /** Closes the client and kills the pack (always call it). */
  close(): Promise<void>;
}

export interface StartPackOptions {
  /** The pack's folder (default: this one). */
  cwd?: string;
  /** The `node` that runs it (default: this process's). */
  node?: string;
  engineAddress?: string;
  project?: string;
  stack?: string;
  dryRun?: boolean;
  /** How long to wait for the port (ts-node type-checks the pack on a cold start). */
  timeoutMs?: number;
}

/**
 * Starts the pack and connects to it. Rejects, with what the pack printed, when it exits or does not
 * print a port in time (a type error makes ts-node fail the load, and the process exits).
 */
export function startPack(options: StartPackOptions = {}): Promise<PackProcess> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("TS_NODE_") && !k.startsWith("JEST_")) env[k] = v;
  Object.assign(env, {
    PULUMI_CONFIG: "{}",
    PULUMI_NODEJS_PROJECT: options.project ?? PROJECT_NAME,
    PULUMI_NODEJS_STACK: options.stack ?? "home",
    PULUMI_NODEJS_DRY_RUN: String(options.dryRun ?? true),
  });
  const child = spawn(
    options.node ?? process.execPath,
    [RUN_POLICY_PACK, options.engineAddress ?? "127.0.0.1:0", "."],
    {
      cwd: options.cwd ?? POLICY_DIR,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));

  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    }
  };

  return new Promise<PackProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      void close();
      reject(
        new Error(`the policy pack printed no port within ${options.timeoutMs ?? 120_000} ms; stderr:\n${stderr}`),
      );
    }, options.timeoutMs ?? 120_000);
    const onExit = (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      reject(
        new Error(
          `the policy pack exited (code ${code}, signal ${signal}) before serving; stdout:\n${stdout}\nstderr:\n${stderr}`,
        ),
      );
    };
    child.once("exit", onExit);
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString();
      const match = /^(\d+)\s*$/m.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      child.off("exit", onExit);
      child.stdout!.removeAllListeners("data");
      const port = Number(match[1]);
      const client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      resolve({
        port,
        client,
        child,
        stderr: () => stderr,
        close: async () => {
          client.close();
          await close();
        },
      });
    });
  });
}

/** One unary call as a promise. */
function call<Req, Res>(
  client: AnalyzerClient,
  method: "getAnalyzerInfo" | "getPluginInfo" | "analyze" | "analyzeStack" | "configure",
  request: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const fn = client[method] as unknown as (req: Req, cb: (err: Error | null, res: Res) => void) => void;
    fn.call(client, request, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

export function getAnalyzerInfo(client: AnalyzerClient): Promise<analyzerPb.AnalyzerInfo> {
  return call(client, "getAnalyzerInfo", new Empty());
}

const LEVELS: Record<string, analyzerPb.EnforcementLevel> = {
  advisory: analyzerPb.EnforcementLevel.ADVISORY,
  mandatory: analyzerPb.EnforcementLevel.MANDATORY,
  disabled: analyzerPb.EnforcementLevel.DISABLED,
  remediate: analyzerPb.EnforcementLevel.REMEDIATE,
};

/**
 * Sends a `--policy-pack-config` document, as the CLI does after GetAnalyzerInfo: one entry per
 * configured policy, each with its enforcement level (the policy's own when the document sets none:
 * the server takes the level it is sent).
 */
export async function configure(client: AnalyzerClient, config: Record<string, unknown>): Promise<void> {
  const info = await getAnalyzerInfo(client);
  const defaults = new Map(info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()]));
  const all = typeof config.all === "string" ? LEVELS[config.all] : undefined;
  const request = new analyzerPb.ConfigureAnalyzerRequest();
  const map = request.getPolicyconfigMap();
  for (const [name, entry] of Object.entries(config)) {
    if (name === "all") continue;
    const { enforcementLevel, ...settings } =
      typeof entry === "string" ? { enforcementLevel: entry } : (entry as Record<string, unknown>);
    const pc = new analyzerPb.PolicyConfig();
    pc.setEnforcementlevel(
      (typeof enforcementLevel === "string" ? LEVELS[enforcementLevel] : undefined) ??
        all ??
        defaults.get(name) ??
        analyzerPb.EnforcementLevel.ADVISORY,
    );
    pc.setProperties(Struct.fromJavaScript(settings as Record<string, structTypes.JavaScriptValue>));
    map.set(name, pc);
  }
  if (all !== undefined) {
    for (const name of defaults.keys()) {
      if (map.has(name)) continue;
      const pc = new analyzerPb.PolicyConfig();
      pc.setEnforcementlevel(all);
      pc.setProperties(Struct.fromJavaScript({}));
      map.set(name, pc);
    }
  }
  await call(client, "configure", request);
}

function resourceOptions(r: EvaluatedResource): analyzerPb.AnalyzerResourceOptions {
  const opts = new analyzerPb.AnalyzerResourceOptions();
  opts.setProtect(r.protect === true);
  opts.setIgnorechangesList([...(r.ignoreChanges ?? [])]);
  if (r.parent) opts.setParent(r.parent);
  return opts;
}

/** The request the engine sends for one resource before it is created or updated. */
function analyzeRequest(r: EvaluatedResource): analyzerPb.AnalyzeRequest {
  const request = new analyzerPb.AnalyzeRequest();
  request.setType(r.type);
  request.setUrn(r.urn);
  request.setName(r.name);
  request.setProperties(
    Struct.fromJavaScript((toEngineValue(r.props) ?? {}) as Record<string, structTypes.JavaScriptValue>),
  );
  request.setOptions(resourceOptions(r));
  return request;
}

/**
 * The request the engine sends at the end of a preview: every resource, the root stack (among
 * `resources`) with the stack outputs as its properties.
 */
export function analyzeStackRequest(options: {
  resources: readonly EvaluatedResource[];
  outputs: object;
}): analyzerPb.AnalyzeStackRequest {
  const request = new analyzerPb.AnalyzeStackRequest();
  request.setResourcesList(
    options.resources.map((r) => {
      const resource = new analyzerPb.AnalyzerResource();
      resource.setType(r.type);
      resource.setUrn(r.urn);
      resource.setName(r.name);
      const props = r.type === STACK_TYPE ? options.outputs : r.props;
      resource.setProperties(
        Struct.fromJavaScript((toEngineValue(props) ?? {}) as Record<string, structTypes.JavaScriptValue>),
      );
      resource.setOptions(resourceOptions(r));
      if (r.parent) resource.setParent(r.parent);
      return resource;
    }),
  );
  return request;
}

export interface Diagnostic {
  policy: string;
  level: "advisory" | "mandatory" | "disabled" | "remediate";
  /** The server's message: the policy's description, a newline, then the violation's message. */
  message: string;
  urn?: string;
}

function diagnostics(response: analyzerPb.AnalyzeResponse): Diagnostic[] {
  const name = Object.fromEntries(Object.entries(LEVELS).map(([k, v]) => [v, k])) as Record<
    number,
    Diagnostic["level"]
  >;
  return response.getDiagnosticsList().map((d) => ({
    policy: d.getPolicyname(),
    level: name[d.getEnforcementlevel()],
    message: d.getMessage(),
    ...(d.getUrn() ? { urn: d.getUrn() } : {}),
  }));
}

export async function analyze(client: AnalyzerClient, r: EvaluatedResource): Promise<Diagnostic[]> {
  return diagnostics(
    await call<analyzerPb.AnalyzeRequest, analyzerPb.AnalyzeResponse>(client, "analyze", analyzeRequest(r)),
  );
}

export async function analyzeStack(
  client: AnalyzerClient,
  options: Parameters<typeof analyzeStackRequest>[0],
): Promise<Diagnostic[]> {
  return diagnostics(
    await call<analyzerPb.AnalyzeStackRequest, analyzerPb.AnalyzeResponse>(
      client,
      "analyzeStack",
      analyzeStackRequest(options),
    ),
  );
}

/**
 * Compiled JavaScript beside the pack's TypeScript: Node prefers `x.js` to `x.ts`, so a stale
 * compile would be served instead of the sources (and hide every edit). Lists such files in the
 * pack's folder and in the project folders it imports from.
 */
export function staleCompiledFiles(
  dirs: readonly string[] = [POLICY_DIR, path.join(POLICY_DIR, "..", "tiers")],
): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(c|m)?js$/.test(entry.name)) found.push(full);
    }
  };
  for (const dir of dirs) if (fs.existsSync(dir)) walk(dir);
  return found.sort();
}
