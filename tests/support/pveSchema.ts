/** PVE's API schema (pve/endpoints.json) as the tests read it, raw: what the code is checked against. */
import * as fs from "fs";
import * as path from "path";

interface SchemaProperty {
  default?: string | number;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  typetext?: string;
}

export const apiSchema = JSON.parse(fs.readFileSync(path.join(__dirname, "../../pve/endpoints.json"), "utf8")) as {
  endpoints: Record<string, { info: Record<string, { parameters?: any; returns?: any }> }>;
};
export const apiParams = (endpoint: string, method: string): Record<string, SchemaProperty> =>
  apiSchema.endpoints[endpoint].info[method].parameters.properties;
