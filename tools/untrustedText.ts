// Text that comes from a stack, a state backend or a CLI is written by whoever can write that backend. Before the
// doctor or the fleet prints it (a terminal, a CI log, a Markdown job summary, JSON), it is made inert here.

/** Controls, line and paragraph separators, and the bidirectional overrides that reorder what a reader sees. */
const INVISIBLE_OR_CONTROL = /[\p{Cc}\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * Escapes untrusted text so that it stays visible and does nothing wherever it is printed. Pure. A backslash becomes
 * `\\`, so every escape below is unambiguous:
 * - control characters (ESC, BEL, CR, ...), separators and bidi overrides become `\xNN` or `\u{NNNN}`: no terminal
 *   sequence, no overwritten line, no new line in a table;
 * - the second colon of `::` becomes `\x3a`: GitHub runs a log line that starts with `::` as a workflow command;
 * - a backtick becomes `\x60`, `![` becomes `\x21[` and `<` becomes `\x3c`: no Markdown fence is closed, and no image
 *   or HTML tag is rendered in a job summary.
 */
export function escapeUntrustedText(text: string): string {
    return text
        .replace(/\\/g, "\\\\")
        .replace(INVISIBLE_OR_CONTROL, (character) => {
            const code = character.codePointAt(0)!;
            return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
        })
        .replace(/(?<=:):/g, "\\x3a")
        .replace(/`/g, "\\x60")
        .replace(/!\[/g, "\\x21[")
        .replace(/</g, "\\x3c");
}

/** The same for every string inside JSON-shaped data (objects, arrays), such as a child process's JSON answer. Pure. */
export function escapeUntrustedStrings<T>(value: T): T {
    if (typeof value === "string") return escapeUntrustedText(value) as T;
    if (Array.isArray(value)) return value.map((item) => escapeUntrustedStrings(item)) as T;
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(
            Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, escapeUntrustedStrings(item)]),
        ) as T;
    }
    return value;
}
