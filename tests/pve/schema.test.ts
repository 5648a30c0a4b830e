/**
 * The API schema file and its checker: paths resolve to their templates, parameters are validated
 * with PVE's own messages, and answers are checked with the leniency of Perl's JSON.
 */
import * as fs from "fs";
import * as path from "path";
import { apiEndpoints, checkAnswer, methodInfo, resolvePath } from "../../pve/schema";
import { validateParameters } from "../../pve/params";

test("pve/endpoints.json holds the shared schema's endpoints, the node's time (the doctor's time zone check), and the scheduler's state and journal the status reads", () => {
  expect([...apiEndpoints().keys()]).toEqual(
    expect.arrayContaining([
      "/cluster/backup",
      "/nodes/{node}/tasks/{upid}/log",
      "/version",
      "/nodes/{node}/time",
      "/nodes/{node}/services/{service}/state",
      "/nodes/{node}/syslog",
    ]),
  );
  expect(methodInfo("GET", "/nodes/{node}/time").permissions?.check).toEqual(["perm", "/nodes/{node}", ["Sys.Audit"]]);
  const doc = JSON.parse(fs.readFileSync(path.join(__dirname, "../../pve/endpoints.json"), "utf8"));
  expect(doc.source).toMatch(/^github:proxmox\/pve-docs api-viewer\/apidata.js/);
});

test("concrete paths resolve to their templates, static segments first", () => {
  expect(resolvePath("/nodes/pve/storage/nas/content")).toMatchObject({
    template: "/nodes/{node}/storage/{storage}/content",
    pathParams: { node: "pve", storage: "nas" },
  });
  expect(resolvePath("/cluster/backup-info/not-backed-up")?.template).toBe("/cluster/backup-info/not-backed-up");
  expect(resolvePath("/cluster/backup/backup-home-p0-daily")?.template).toBe("/cluster/backup/{id}");
  expect(resolvePath("/nodes/pve/nope")).toBeUndefined();
});

test("job parameters: PVE's messages for types, enums, formats, lengths and unknown keys", () => {
  const schema = methodInfo("POST", "/cluster/backup").parameters;
  const { errors } = validateParameters(schema, {
    vmid: "100,99",
    mode: "fast",
    enabled: "yes",
    schedule: "daily 03:00",
    storage: "x",
    "prune-backups": "keep-all=1,keep-last=3",
    bogus: "1",
  });
  expect(errors).toEqual({
    vmid: "invalid format - value does not look like a valid VM ID",
    mode: "value 'fast' does not have a value in the enumeration 'snapshot, suspend, stop'",
    enabled: "type check ('boolean') failed - got 'yes'",
    schedule: expect.stringMatching(/^invalid format - /),
    storage: "invalid format - storage ID 'x' cannot be shorter than 2 characters",
    "prune-backups": "invalid format - keep-all cannot be set together with other options.",
    bogus: "property is not defined in schema and the schema does not allow additional properties",
  });
});

test("array parameters take repeated keys; `requires` and missing required parameters are named", () => {
  const put = methodInfo("PUT", "/cluster/backup/{id}").parameters;
  const ok = validateParameters(put, { id: "job-1", "exclude-path": ["/tmp/*", "/var/cache/*"], storage: "nas" });
  expect(ok.errors).toBeUndefined();
  expect(ok.params["exclude-path"]).toEqual(["/tmp/*", "/var/cache/*"]);
  const needsStorage = validateParameters(put, { id: "job-1", "notes-template": "{{vmid}}" });
  expect(needsStorage.errors).toEqual({ storage: "missing property required by 'notes-template'" });
  const storage = methodInfo("POST", "/storage").parameters;
  expect(validateParameters(storage, { storage: "nas" }).errors).toEqual({
    type: "property is missing and it is not optional",
  });
});

test("answers: Perl's numbers-as-strings and 0/1 booleans pass, wrong shapes are named by place", () => {
  const job = {
    id: "j",
    "prune-backups": { "keep-last": "3" },
    enabled: 1,
    "exclude-path": ["/tmp"],
    "next-run": "1770883200",
  };
  expect(checkAnswer("GET", "/cluster/backup", [job])).toEqual([]);
  expect(
    checkAnswer("GET", "/cluster/backup", [{ ...job, enabled: "yes", "prune-backups": { "keep-last": "x" } }]),
  ).toEqual([
    'data[0].enabled: expected a boolean (0 or 1), got "yes"',
    'data[0].prune-backups.keep-last: expected an integer, got "x"',
  ]);
  expect(checkAnswer("GET", "/cluster/backup", [{ schedule: "03:00" }])).toEqual(["data[0].id: missing"]);
  expect(checkAnswer("GET", "/nodes", { node: "pve" })).toEqual(["data: expected an array, got an object"]);
  // vzdump defaults: PVE joins exclude-path with commas for this endpoint only
  expect(checkAnswer("GET", "/nodes/{node}/vzdump/defaults", { "exclude-path": "/tmp,/var" })).toEqual([]);
});
