/**
 * The pve-backup-tiers policy pack: `pulumi preview --policy-pack policy`. This file only assembles
 * the pack; constructing it starts the analyzer's gRPC server, so nothing may import this module
 * (tests and `npm run check` use offline/evaluate.ts, which runs the same policies in process).
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME } from "./config";
import { policies } from "./policies";

new PolicyPack(PACK_NAME, { policies });
