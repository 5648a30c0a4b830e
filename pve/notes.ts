/** A backup job's `notes-template`: PVE's rules for it (pve-manager PVE/VZDump.pm `verify_notes_template`). */

/**
 * A job's `notes-template`: PVE writes it, variables filled in, as the notes of each backup. PVE
 * (pve-manager `PVE/VZDump.pm`, `verify_notes_template`) checks it when a job is created or changed
 * and again at every run: at most 1024 characters, one line, backslash escapes only `\n` and `\\`,
 * variables only `{{cluster}}`, `{{guestname}}`, `{{node}}` and `{{vmid}}`.
 */
export const NOTES_TEMPLATE_MAX_LENGTH = 1024;
export const NOTES_TEMPLATE_VARIABLES = ["cluster", "guestname", "node", "vmid"] as const;
export type NotesTemplateVariable = (typeof NOTES_TEMPLATE_VARIABLES)[number];

/**
 * Why PVE would reject a notes-template, one reason an entry; empty when it accepts it. Stricter than
 * PVE in one way: PVE passes a `{{` that opens no `{{name}}` through as text, but it may add variables
 * (its documentation says so), so any `{{` that does not open one of its variables is refused here.
 */
export function notesTemplateProblems(template: string): string[] {
  const problems: string[] = [];
  const length = [...template].length; // PVE counts characters, not UTF-16 units
  if (length > NOTES_TEMPLATE_MAX_LENGTH) {
    problems.push(`it would be ${length} characters long; PVE allows at most ${NOTES_TEMPLATE_MAX_LENGTH}`);
  }
  if (/[\r\n]/.test(template)) problems.push("it would contain a line break; PVE takes one line");
  const escapes = new Set<string>();
  for (const m of template.matchAll(/\\([^\r\n])/g)) if (m[1] !== "n" && m[1] !== "\\") escapes.add(`\\${m[1]}`);
  if (escapes.size > 0) {
    problems.push(`backslash escape ${[...escapes].map((e) => `'${e}'`).join(", ")}: PVE knows only \\n and \\\\`);
  }
  const variable = new RegExp(`^\\{\\{(${NOTES_TEMPLATE_VARIABLES.join("|")})\\}\\}`);
  for (let at = template.indexOf("{{"); at >= 0; at = template.indexOf("{{", at + 2)) {
    const match = variable.exec(template.slice(at));
    if (!match) {
      problems.push(
        `'{{' that opens none of PVE's variables (${NOTES_TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(", ")})`,
      );
      break;
    }
    at += match[0].length - 2;
  }
  return problems;
}

/**
 * PVE's own verdict on a `notes-template`, in its own words (VZDump.pm `$verify_notes_template`, on
 * create, update and again at run time): a line feed, escapes other than `\n` and `\\`, unknown
 * `{{variables}}`. Returns PVE's message, or undefined when PVE accepts the template. The PVE API
 * double answers with it; the site's validation uses the stricter `notesTemplateProblems` above.
 */
export function notesTemplateProblem(template: string): string | undefined {
  if (template.includes("\n")) return "contains a line feed";
  const problems: string[] = [];
  for (const m of template.matchAll(/\\(.)/g)) {
    if (!/^[n\\]$/.test(m[1])) problems.push(`escape sequence '\\${m[1]}' at char ${m.index}`);
  }
  for (const m of template.matchAll(/\{\{([^\s{}]+)\}\}/g)) {
    if (!(NOTES_TEMPLATE_VARIABLES as readonly string[]).includes(m[1])) {
      problems.push(`variable '${m[1]}' at char ${m.index! + 2}`);
    }
  }
  return problems.length > 0 ? `found unknown: ${problems.join(", ")}` : undefined;
}
