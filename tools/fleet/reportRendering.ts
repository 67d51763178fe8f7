import { escapeUntrustedText } from "../untrustedText";
import { FleetRow, FleetStatus } from "./stackStatus";

/**
 * The row with every text escaped: names, outputs, history fields and CLI errors come from whoever can write the
 * state backend, and the table and the JSON end up in terminals, CI logs and job summaries.
 */
function inertRow(row: FleetRow): FleetRow {
    const escaped = Object.fromEntries(
        Object.entries(row).map(([key, value]) => [
            key,
            typeof value === "string" ? escapeUntrustedText(value) : value,
        ]),
    ) as unknown as FleetRow;
    return { ...escaped, findings: row.findings.map(escapeUntrustedText) };
}

/** The `--json` document: { ok, generatedAt, stacks: [ { stack, status, action, ... } ] }, every text escaped. */
export function renderFleetJson(rows: readonly FleetRow[], generatedAt: Date): string {
    const document = {
        ok: rows.every((row) => row.status !== "fail"),
        generatedAt: generatedAt.toISOString(),
        stacks: rows.map(inertRow),
    };
    return `${JSON.stringify(document, null, 2)}\n`;
}

const STATUS_COLOUR: Readonly<Record<FleetStatus, string>> = {
    ok: "\u001b[32m",
    warn: "\u001b[33m",
    fail: "\u001b[31m",
};
const RESET = "\u001b[0m";
const NONE = "-";

const COLUMNS: readonly { readonly title: string; readonly cell: (row: FleetRow) => string }[] = [
    { title: "STATUS", cell: (row) => row.status.toUpperCase() },
    { title: "STACK", cell: (row) => row.stack },
    { title: "TENANT", cell: (row) => row.tenantId ?? NONE },
    { title: "CLIENT ID", cell: (row) => row.applicationClientId ?? NONE },
    { title: "SECRET ENDS", cell: (row) => day(row.clientSecretExpiresAt) },
    {
        title: "DAYS LEFT",
        cell: (row) => (row.clientSecretDaysLeft === null ? NONE : String(row.clientSecretDaysLeft)),
    },
    { title: "PREVIOUS ENDS", cell: (row) => day(row.previousSecretExpiresAt) },
    { title: "NEXT ROTATION", cell: (row) => day(row.nextSecretRotationAt) },
    {
        title: "LAST UPDATE",
        cell: (row) =>
            row.lastUpdateResult === null
                ? NONE
                : `${minute(row.lastUpdateAt)} ${row.lastUpdateKind ?? ""} ${row.lastUpdateResult}`.replace(/ +/g, " "),
    },
];

/**
 * The readable table, rows in the order given (main sorts fail first). Under each stack that is not ok, its
 * findings and the action. Colour only when asked for (stdout is a TTY and NO_COLOR is unset). Every text is escaped,
 * so the table is safe in a terminal, a CI log and inside the job summary's code fence.
 */
export function renderFleetTable(untrustedRows: readonly FleetRow[], style: { readonly colour: boolean }): string {
    const rows = untrustedRows.map(inertRow);
    const cells = rows.map((row) => COLUMNS.map((column) => column.cell(row)));
    const widths = COLUMNS.map((column, index) =>
        Math.max(column.title.length, ...cells.map((line) => line[index].length)),
    );
    const pad = (line: readonly string[]): string =>
        line
            .map((cell, index) => (index === line.length - 1 ? cell : cell.padEnd(widths[index])))
            .join("  ")
            .trimEnd();
    const lines = [pad(COLUMNS.map((column) => column.title))];
    rows.forEach((row, index) => {
        const line = pad(cells[index]);
        const status = row.status.toUpperCase();
        lines.push(style.colour ? `${STATUS_COLOUR[row.status]}${status}${RESET}${line.slice(status.length)}` : line);
        for (const finding of row.findings) lines.push(`    - ${finding}`);
        if (row.action !== null) lines.push(`    Action: ${row.action}`);
    });
    const count = (status: FleetStatus): number => rows.filter((row) => row.status === status).length;
    lines.push("");
    lines.push(
        `${rows.length} stack${rows.length === 1 ? "" : "s"}: ${count("fail")} fail, ${count("warn")} warn, ${count("ok")} ok.`,
    );
    return `${lines.join("\n")}\n`;
}

/** YYYY-MM-DD in UTC, whatever zone the value was written in. */
function day(iso: string | null): string {
    return utc(iso)?.slice(0, 10) ?? NONE;
}

/** YYYY-MM-DD HH:MM in UTC. */
function minute(iso: string | null): string {
    const text = utc(iso);
    return text === undefined ? "" : `${text.slice(0, 10)} ${text.slice(11, 16)}`;
}

function utc(iso: string | null): string | undefined {
    const ms = iso === null ? Number.NaN : Date.parse(iso);
    return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
