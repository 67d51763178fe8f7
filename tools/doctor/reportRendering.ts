import { CheckStatus, DoctorReport } from "./checkResult";

/** How to render the table. */
export interface TableStyle {
    /** ANSI colours; main turns them on only when stdout is a TTY and NO_COLOR is unset. */
    readonly colour: boolean;
    /** Wrap width for messages and fixes. */
    readonly width: number;
}

const STATUS_LABEL: Readonly<Record<CheckStatus, string>> = { pass: "PASS", fail: "FAIL", skip: "SKIP", warn: "WARN" };
const STATUS_COLOUR: Readonly<Record<CheckStatus, string>> = {
    pass: "\u001b[32m",
    fail: "\u001b[31m",
    skip: "\u001b[90m",
    warn: "\u001b[33m",
};
const RESET = "\u001b[0m";
const REDACTED = "[redacted]";

/** The `--json` document: { ok, checks: [{ id, status, message, fix }] }. */
export function renderJson(report: DoctorReport): string {
    return `${JSON.stringify({ ok: report.ok, checks: report.checks.map(({ id, status, message, fix }) => ({ id, status, message, fix })) }, null, 2)}\n`;
}

/** The readable table: one row per check, then the fixes under their check. */
export function renderTable(report: DoctorReport, style: TableStyle): string {
    const idWidth = Math.max(5, ...report.checks.map((check) => check.id.length));
    const indent = " ".repeat(idWidth + 2 + 4 + 4);
    const messageWidth = Math.max(30, style.width - indent.length);
    const lines: string[] = [`${"CHECK".padEnd(idWidth)}  STATUS  MESSAGE`];
    for (const check of report.checks) {
        const label = STATUS_LABEL[check.status];
        const status = style.colour ? `${STATUS_COLOUR[check.status]}${label}${RESET}` : label;
        const messageLines = wrap(check.message, messageWidth);
        lines.push(`${check.id.padEnd(idWidth)}  ${status}    ${messageLines[0] ?? ""}`);
        for (const line of messageLines.slice(1)) lines.push(`${indent}${line}`);
        if (check.fix) {
            const fixLines = wrap(`Fix: ${check.fix}`, messageWidth);
            for (const line of fixLines) lines.push(`${indent}${line}`);
        }
    }
    const failed = report.checks.filter((check) => check.status === "fail").length;
    const warned = report.checks.filter((check) => check.status === "warn").length;
    lines.push("");
    lines.push(
        report.ok
            ? `All checks passed${warned > 0 ? ` (${warned} warning${warned === 1 ? "" : "s"})` : ""}.`
            : `${failed} check${failed === 1 ? "" : "s"} failed.`,
    );
    return `${lines.join("\n")}\n`;
}

/** Replaces every occurrence of each secret value in the text; the last guard before anything is printed. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
    let result = text;
    for (const secret of secrets) {
        // Very short values would redact ordinary words; real secrets and tokens are long.
        if (secret === undefined || secret.length < 8) continue;
        // --json escapes quotes, backslashes and control characters, so the secret may appear in that form too.
        for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1)])) {
            result = result.split(form).join(REDACTED);
        }
    }
    return result;
}

function wrap(text: string, width: number): string[] {
    const words = text.split(/\s+/).filter((word) => word !== "");
    const lines: string[] = [];
    let current = "";
    for (const word of words) {
        if (current !== "" && current.length + 1 + word.length > width) {
            lines.push(current);
            current = word;
        } else {
            current = current === "" ? word : `${current} ${word}`;
        }
    }
    if (current !== "") lines.push(current);
    return lines;
}
