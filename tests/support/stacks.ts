/**
 * The stack files the tests run against: copies of Pulumi.home.yaml and Pulumi.shop.yaml under
 * tests/fixtures/stacks/, so that what the README asks a user to do to the real ones (a `secure:`
 * API token, their own site) never changes a test's outcome.
 */
import * as path from "path";
import { SITE_KEY } from "../../tiers/config";
import { readStackFile } from "../../tiers/stackFile";

export const FIXTURE_STACK_DIR = path.join(__dirname, "..", "fixtures", "stacks");

/** A fixture stack's `pve-backup-tiers:site` as written, a fresh copy each call (change it freely). */
export function fixtureSite(stack = "home"): Record<string, any> {
  return JSON.parse(readStackFile(FIXTURE_STACK_DIR, stack).config[SITE_KEY]);
}
