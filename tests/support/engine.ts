/**
 * A fake Pulumi engine, to run a program the way the Pulumi CLI runs it without the CLI: the
 * resource monitor and engine gRPC services on 127.0.0.1 (data sources answered from a cluster
 * snapshot, every registration and log message recorded), and `runProgram`, which spawns
 * `node <@pulumi/pulumi>/cmd/run` with the arguments and environment the nodejs language host gives
 * it, read from the project's Pulumi.yaml (`main`, `runtime.options.typescript`, `tsconfig`,
 * `nodeargs`). Used by the start-up end-to-end tests and the start-up benchmark.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type * as grpcTypes from "@grpc/grpc-js";
import type * as engineGrpcTypes from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginePb from "@pulumi/pulumi/proto/engine_pb";
import type * as resourceGrpcTypes from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as providerPb from "@pulumi/pulumi/proto/provider_pb";
import * as resourcePb from "@pulumi/pulumi/proto/resource_pb";
import type * as emptyTypes from "google-protobuf/google/protobuf/empty_pb";
import type * as structTypes from "google-protobuf/google/protobuf/struct_pb";
import { parse as parseYaml } from "yaml";
import { readStackFile } from "../../tiers/stackFile";
import { Empty, PULUMI_DIR, Struct, grpc } from "./pulumiGrpc";

const RUN_PROGRAM = path.join(PULUMI_DIR, "cmd", "run");
const resourceGrpc = require("@pulumi/pulumi/proto/resource_grpc_pb") as typeof resourceGrpcTypes;
const engineGrpc = require("@pulumi/pulumi/proto/engine_grpc_pb") as typeof engineGrpcTypes;

/** Features the monitor says it supports (the engine of Pulumi 3.x supports all of these). */
const SUPPORTED_FEATURES = new Set(["secrets", "resourceReferences", "outputValues", "deletedWith", "aliasSpecs"]);
const STACK_TYPE = "pulumi:pulumi:Stack";

interface RegisteredResource {
  type: string;
  name: string;
  urn: string;
  parent?: string;
  custom: boolean;
  inputs: Record<string, unknown>;
  importId?: string;
}

interface EngineLog {
  severity: "debug" | "info" | "warning" | "error";
  message: string;
}

interface FakeEngine {
  /** The address of both services (`--monitor` and `--engine`). */
  address: string;
  resources: RegisteredResource[];
  /** Outputs registered per URN (the stack's outputs under the root stack's URN). */
  outputs: Map<string, Record<string, unknown>>;
  logs: EngineLog[];
  close(): Promise<void>;
}

/** A data source's answer by invoke token and arguments (throw for a token the cluster cannot answer). */
type InvokeAnswers = (token: string, args: Record<string, unknown>) => unknown;

type Callback<T> = (err: grpcTypes.ServiceError | null, value?: T) => void;
type Call<T> = { request: T };

const SEVERITIES: EngineLog["severity"][] = ["debug", "info", "warning", "error"];

/** Starts the monitor and engine services for one run of `project`'s `stack`. */
async function startFakeEngine(options: {
  project: string;
  stack: string;
  answers: InvokeAnswers;
}): Promise<FakeEngine> {
  const { project, stack, answers } = options;
  const resources: RegisteredResource[] = [];
  const outputs = new Map<string, Record<string, unknown>>();
  const logs: EngineLog[] = [];
  const typeChain = new Map<string, string>();
  let rootUrn = "";

  const unimplemented = (service: Record<string, unknown>) =>
    Object.fromEntries(
      Object.keys(service).map((method) => [
        method,
        (_call: unknown, callback: Callback<unknown>) =>
          callback({ code: grpc.status.UNIMPLEMENTED, details: `${method} is not faked` } as grpcTypes.ServiceError),
      ]),
    );

  const monitor = {
    ...unimplemented(resourceGrpc.ResourceMonitorService),
    supportsFeature(
      call: Call<resourcePb.SupportsFeatureRequest>,
      callback: Callback<resourcePb.SupportsFeatureResponse>,
    ) {
      const response = new resourcePb.SupportsFeatureResponse();
      response.setHassupport(SUPPORTED_FEATURES.has(call.request.getId()));
      callback(null, response);
    },
    invoke(call: Call<resourcePb.ResourceInvokeRequest>, callback: Callback<providerPb.InvokeResponse>) {
      const args = (call.request.getArgs()?.toJavaScript() ?? {}) as Record<string, unknown>;
      let answer: unknown;
      try {
        answer = answers(call.request.getTok(), args);
      } catch (err) {
        callback({ code: grpc.status.UNKNOWN, details: (err as Error).message } as grpcTypes.ServiceError);
        return;
      }
      const response = new providerPb.InvokeResponse();
      response.setReturn(
        Struct.fromJavaScript(JSON.parse(JSON.stringify(answer)) as Record<string, structTypes.JavaScriptValue>),
      );
      callback(null, response);
    },
    registerResource(
      call: Call<resourcePb.RegisterResourceRequest>,
      callback: Callback<resourcePb.RegisterResourceResponse>,
    ) {
      const request = call.request;
      const type = request.getType();
      const parent = request.getParent() || undefined;
      // The engine's URN: the parent's type chain (not the root stack's) before the resource's own type.
      const parentChain = parent && parent !== rootUrn ? typeChain.get(parent) : undefined;
      const qualifiedType = parentChain ? `${parentChain}$${type}` : type;
      const urn = `urn:pulumi:${stack}::${project}::${qualifiedType}::${request.getName()}`;
      typeChain.set(urn, qualifiedType);
      if (type === STACK_TYPE) rootUrn = urn;
      const inputs = (request.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
      const importId = request.getImportid() || undefined;
      resources.push({ type, name: request.getName(), urn, parent, custom: request.getCustom(), inputs, importId });
      const response = new resourcePb.RegisterResourceResponse();
      response.setUrn(urn);
      if (request.getCustom()) {
        response.setId(
          importId ?? (typeof inputs.resourceId === "string" ? inputs.resourceId : `${request.getName()}-id`),
        );
      }
      response.setObject(Struct.fromJavaScript(inputs as Record<string, structTypes.JavaScriptValue>));
      callback(null, response);
    },
    registerResourceOutputs(
      call: Call<resourcePb.RegisterResourceOutputsRequest>,
      callback: Callback<emptyTypes.Empty>,
    ) {
      outputs.set(call.request.getUrn(), (call.request.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>);
      callback(null, new Empty());
    },
    signalAndWaitForShutdown(_call: unknown, callback: Callback<emptyTypes.Empty>) {
      callback(null, new Empty());
    },
  };

  const engine = {
    ...unimplemented(engineGrpc.EngineService),
    log(call: Call<enginePb.LogRequest>, callback: Callback<emptyTypes.Empty>) {
      logs.push({ severity: SEVERITIES[call.request.getSeverity()], message: call.request.getMessage() });
      callback(null, new Empty());
    },
    getRootResource(_call: unknown, callback: Callback<enginePb.GetRootResourceResponse>) {
      const response = new enginePb.GetRootResourceResponse();
      response.setUrn(rootUrn);
      callback(null, response);
    },
    setRootResource(call: Call<enginePb.SetRootResourceRequest>, callback: Callback<enginePb.SetRootResourceResponse>) {
      rootUrn = call.request.getUrn();
      callback(null, new enginePb.SetRootResourceResponse());
    },
    requirePulumiVersion(_call: unknown, callback: Callback<emptyTypes.Empty>) {
      callback(null, new Empty());
    },
  };

  const server = new grpc.Server();
  server.addService(resourceGrpc.ResourceMonitorService, monitor as unknown as grpcTypes.UntypedServiceImplementation);
  server.addService(engineGrpc.EngineService, engine as unknown as grpcTypes.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    resources,
    outputs,
    logs,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}

/** What the nodejs language host takes from Pulumi.yaml to start the program. */
export interface ProjectRuntime {
  project: string;
  /** The `main` entry point, or "." (then cmd/run takes package.json's `main`). */
  entryPoint: string;
  /** runtime.options.typescript (the language host's default is true). */
  typescript: boolean;
  tsconfig?: string;
  nodeargs: string[];
}

function readProjectRuntime(projectDir: string): ProjectRuntime {
  const doc = parseYaml(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as {
    name: string;
    main?: string;
    runtime: string | { name: string; options?: { typescript?: boolean; tsconfig?: string; nodeargs?: string } };
  };
  const options = typeof doc.runtime === "string" ? {} : (doc.runtime.options ?? {});
  return {
    project: doc.name,
    entryPoint: doc.main ?? ".",
    typescript: options.typescript ?? true,
    tsconfig: options.tsconfig,
    nodeargs: options.nodeargs ? options.nodeargs.split(/\s+/).filter(Boolean) : [],
  };
}

interface ProgramRun {
  exitCode: number | null;
  /** Spawn to exit. */
  ms: number;
  stdout: string;
  stderr: string;
  /** What the program logged to the engine (the CLI shows these; errors, e.g. a compiler's, among them). */
  logs: EngineLog[];
  resources: RegisteredResource[];
  /** The stack's outputs, as the program registered them on the root stack resource. */
  stackOutputs: Record<string, unknown> | undefined;
}

/**
 * Runs the program in `projectDir` for `stack` through cmd/run, as `pulumi preview` (dryRun) or
 * `pulumi up` would: the stack file's config in PULUMI_CONFIG, secure values as placeholders.
 */
export async function runProgram(options: {
  projectDir: string;
  stack: string;
  answers: InvokeAnswers;
  dryRun?: boolean;
  /** Extra environment; TS_NODE_* and JEST_* of this process are dropped. */
  env?: NodeJS.ProcessEnv;
  /** Overrides of what Pulumi.yaml says (e.g. to run the TypeScript sources through ts-node). */
  runtime?: Partial<ProjectRuntime>;
  timeoutMs?: number;
}): Promise<ProgramRun> {
  const { projectDir, stack } = options;
  const runtime = { ...readProjectRuntime(projectDir), ...options.runtime };
  const stackFile = fs.existsSync(path.join(projectDir, `Pulumi.${stack}.yaml`))
    ? readStackFile(projectDir, stack)
    : { config: {}, secretKeys: [] };
  const engine = await startFakeEngine({ project: runtime.project, stack, answers: options.answers });
  try {
    // The language host passes config keys as <namespace>:config:<name>.
    const config = Object.fromEntries(
      Object.entries(stackFile.config).map(([k, v]) => [k.replace(/^([^:]+):/, "$1:config:"), v]),
    );
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env))
      if (!k.startsWith("TS_NODE_") && !k.startsWith("JEST_")) env[k] = v;
    Object.assign(env, options.env, {
      PULUMI_CONFIG: JSON.stringify(config),
      PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(stackFile.secretKeys),
    });
    if (runtime.typescript) env.PULUMI_NODEJS_TYPESCRIPT = "true";
    if (runtime.tsconfig) env.PULUMI_NODEJS_TSCONFIG_PATH = runtime.tsconfig;
    const args = [
      ...runtime.nodeargs,
      RUN_PROGRAM,
      "--monitor",
      engine.address,
      "--engine",
      engine.address,
      "--project",
      runtime.project,
      "--root-directory",
      projectDir,
      "--stack",
      stack,
      "--pwd",
      projectDir,
      ...(options.dryRun === false ? [] : ["--dry-run"]),
      "--parallel",
      "48",
      runtime.entryPoint,
    ];
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd: projectDir, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let ms = 0;
    child.once("exit", () => (ms = Number(process.hrtime.bigint() - start) / 1e6));
    // "close": the process has exited and its output is read to the end.
    const exitCode = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
      child.once("close", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    const root = engine.resources.find((r) => r.type === STACK_TYPE);
    return {
      exitCode,
      ms,
      stdout,
      stderr,
      logs: engine.logs,
      resources: engine.resources,
      stackOutputs: root ? engine.outputs.get(root.urn) : undefined,
    };
  } finally {
    await engine.close();
  }
}
