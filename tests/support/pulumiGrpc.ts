/**
 * What the tests that speak Pulumi's gRPC protocols share (tests/support/engine.ts, the fake engine a program
 * runs against; tests/support/policyHarness.ts, the client of a served pack): where @pulumi/pulumi is, and
 * its own copies of grpc-js and google-protobuf. Messages, services and credentials must come from
 * the modules Pulumi's generated code checks with instanceof, not from the project's copies.
 */
import * as path from "path";
import type * as grpcTypes from "@grpc/grpc-js";
import type * as emptyTypes from "google-protobuf/google/protobuf/empty_pb";
import type * as structTypes from "google-protobuf/google/protobuf/struct_pb";

export const PULUMI_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));

const fromPulumi = (id: string) => require(require.resolve(id, { paths: [PULUMI_DIR] }));
export const grpc = fromPulumi("@grpc/grpc-js") as typeof grpcTypes;
export const { Empty } = fromPulumi("google-protobuf/google/protobuf/empty_pb") as typeof emptyTypes;
export const { Struct } = fromPulumi("google-protobuf/google/protobuf/struct_pb") as typeof structTypes;
