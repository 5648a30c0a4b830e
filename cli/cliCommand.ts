/** The command line's parser: commander, speaking this project's words (cli/program.ts declares the commands). */
import { Command, Option } from "commander";
import type { EventEmitter } from "events";
import { UsageError } from "./cli";

/**
 * commander's Command, with its errors as UsageErrors in this project's words, on one line; and
 * every flag refused when given twice, and a flag's value refused when it is another flag
 * (`--from --json`).
 */
export class CliCommand extends Command {
  private readonly given = new Set<string>();
  private excessAllowed = false;

  override createCommand(name?: string): CliCommand {
    return new CliCommand(name);
  }

  override addOption(option: Option): this {
    super.addOption(option);
    const name = option.long ?? option.name();
    // Before commander's own listener, so that `--count --json` is a missing value, not a bad count.
    (this as unknown as EventEmitter).prependListener(`option:${option.name()}`, (value: unknown) => {
      if (this.given.has(name)) throw new UsageError(`flag ${name} given more than once`);
      this.given.add(name);
      if (typeof value === "string" && /^--?[A-Za-z]/.test(value)) throw new UsageError(`flag ${name} needs a value`);
    });
    return this;
  }

  override allowExcessArguments(allow = true): this {
    this.excessAllowed = allow;
    return super.allowExcessArguments(allow);
  }

  override error(message: string): never {
    // commander's own words, on one line and without its `error: ` (cli/exit.ts adds it).
    const text = message
      .replace(/^error: /, "")
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .join(" ");
    throw new UsageError(text.replace(/\(Did you mean/, "(did you mean"));
  }

  // commander calls these on a bad command line (commander 14, lib/command.js).

  unknownOption(flag: string): never {
    const [name, value] = flag.split(/=(.*)/s);
    const option = value === undefined ? undefined : this.options.find((o) => o.long === name);
    if (option && !option.required && !option.optional) {
      throw new UsageError(`flag ${name} takes no value (got '${value}')`);
    }
    throw new UsageError(`unknown flag ${flag}`);
  }

  optionMissingArgument(option: Option): never {
    throw new UsageError(`flag ${option.long ?? option.name()} needs a value`);
  }

  _excessArguments(received: string[]): void {
    if (this.excessAllowed) return;
    throw new UsageError(`unexpected argument '${received[this.registeredArguments.length]}'`);
  }
}
