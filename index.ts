/**
 * pve-backup-tiers: the vzdump jobs, NFS backup storage and retention of a Proxmox VE site, per tier,
 * from the stack's config. Config → validated site (tiers/config.ts) → resources (tiers/program.ts).
 *
 * The program is a function, as Pulumi allows: what it returns becomes the stack outputs, and the
 * offline runner (tests, `npm run check`) can run it more than once in one process.
 */
import { declareSite } from "./tiers/program";
import { loadStackConfig } from "./tiers/stackConfig";

export = async () => {
  const { site, adopt } = loadStackConfig();
  // The policy pack judges from these outputs: the root stack resource carries them as its properties.
  return (await declareSite(site, { adopt })).outputs;
};
