/**
 * Bad input that is not a flag: a file that cannot be read or does not validate, a stack that does
 * not exist, a setting the stack lacks. The one error the domain throws for what the user gave; its
 * message is one line naming the file, the place and the value. cli/exit.ts prints it as
 * `error: <message>` and exits 2.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}
