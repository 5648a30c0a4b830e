/** pve/notes.ts: the notes-template rules of pve-manager's VZDump.pm. */
import { NOTES_TEMPLATE_MAX_LENGTH, notesTemplateProblems } from "../../pve/notes";

describe("notesTemplateProblems: what PVE's verify_notes_template refuses", () => {
  test.each([
    "{{guestname}} ({{vmid}}) - tier P0: critical, daily - job backup-home-p0-daily",
    "{{cluster}} {{node}} {{vmid}} {{guestname}}",
    "first line\\nsecond line, a backslash \\\\ and braces {single} }}",
    "x".repeat(NOTES_TEMPLATE_MAX_LENGTH),
    // 1024 characters of 2 UTF-16 units each: PVE counts characters
    "🗄".repeat(NOTES_TEMPLATE_MAX_LENGTH),
    "a trailing backslash stays literal \\",
  ])("accepts %j", (template) => {
    expect(notesTemplateProblems(template)).toEqual([]);
  });

  test.each([
    ["x".repeat(NOTES_TEMPLATE_MAX_LENGTH + 1), "it would be 1025 characters long; PVE allows at most 1024"],
    ["two\nlines", "it would contain a line break; PVE takes one line"],
    ["a carriage\rreturn", "line break"],
    ["C:\\backups\\tier", "backslash escape '\\b', '\\t': PVE knows only \\n and \\\\"],
    ["{{hostname}} backup", "'{{' that opens none of PVE's variables ({{cluster}}, {{guestname}}, {{node}}, {{vmid}})"],
    ["{{ vmid }}", "'{{' that opens none"],
    ["{{vmid}} and a lone {{", "'{{' that opens none"],
  ])("refuses %j", (template, problem) => {
    expect(notesTemplateProblems(template).join("; ")).toContain(problem);
  });

  test("an escaped backslash is not the start of another escape", () => {
    expect(notesTemplateProblems("\\\\b")).toEqual([]); // `\\` then `b`
    expect(notesTemplateProblems("\\\\\\b")).toEqual(["backslash escape '\\b': PVE knows only \\n and \\\\"]);
  });
});
