import { CliVersion, explainReadError } from "./cliVersion";
import { FLEET_OUTPUT_KEYS, GUID_KEYS, REQUIRED_OUTPUT_KEYS, StackSnapshot } from "./stackReading";

export type FleetStatus = "ok" | "warn" | "fail";

/** One thing found wrong with a stack, and what to do about it (null: nothing the fleet can suggest). */
export interface Finding {
    readonly status: Exclude<FleetStatus, "ok">;
    readonly message: string;
    readonly action: string | null;
}

/** One stack's line of the report (the `--json` entry). Absent values are null, never guessed. */
export interface FleetRow {
    readonly stack: string;
    readonly status: FleetStatus;
    /** What to do, for the worst findings; null when ok or when there is nothing to do. */
    readonly action: string | null;
    /** Every finding, worst first, in words. */
    readonly findings: readonly string[];
    readonly tenantId: string | null;
    readonly applicationClientId: string | null;
    readonly clientSecretExpiresAt: string | null;
    /** Whole days until the exported secret ends; negative once it has ended. */
    readonly clientSecretDaysLeft: number | null;
    readonly previousSecretExpiresAt: string | null;
    readonly nextSecretRotationAt: string | null;
    readonly lastUpdateAt: string | null;
    readonly lastUpdateKind: string | null;
    readonly lastUpdateResult: string | null;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** The weekly run may start a little late; a rotation is overdue only once a whole day has passed. */
const ROTATION_GRACE_MS = DAY_MS;
const SEVERITY: Readonly<Record<FleetStatus, number>> = { fail: 0, warn: 1, ok: 2 };

/**
 * Judges one stack at `now`: the status table of docs/operations.md, rule by rule. `cliVersion` (when read) names
 * the real cause of a read that an older CLI refused. Pure.
 */
export function judgeStack(snapshot: StackSnapshot, now: Date, warnDays: number, cliVersion?: CliVersion): FleetRow {
    const { stack } = snapshot;
    const values = snapshot.outputs?.values ?? {};
    const nowMs = now.getTime();
    const findings: Finding[] = [];

    for (const error of snapshot.readErrors) {
        const cause = explainReadError(error, cliVersion);
        findings.push({
            status: "fail",
            message: cause?.message ?? error,
            action:
                cause?.action ??
                `fix the Pulumi CLI's access to stack ${stack} (login, backend, permissions), then run the fleet report again`,
        });
    }

    const secretEnd = timeOf(values.clientSecretExpiresAt);
    if (secretEnd !== undefined && secretEnd <= nowMs) {
        findings.push({
            status: "fail",
            message: `the client secret expired at ${values.clientSecretExpiresAt}`,
            action: `mail has stopped: run pulumi up --stack ${stack}, then paste the new secret into the suite`,
        });
    }

    const nextRotation = timeOf(values.nextSecretRotationAt);
    if (nextRotation !== undefined && nowMs - nextRotation > ROTATION_GRACE_MS) {
        findings.push({
            status: "fail",
            message: `the rotation due at ${values.nextSecretRotationAt} has not happened (${wholeDays(nowMs - nextRotation)} days overdue)`,
            action: `the scheduled run stopped: run pulumi up --stack ${stack} and fix the schedule`,
        });
    }

    const lastUpdate = snapshot.lastUpdate;
    if (lastUpdate?.result === "failed") {
        findings.push({
            status: "fail",
            message: `the last ${lastUpdate.kind}${lastUpdate.at ? ` (${lastUpdate.at})` : ""} failed`,
            action: `see pulumi stack history --stack ${stack} and run pulumi up --stack ${stack} again`,
        });
    }

    const previousEnd = timeOf(values.previousSecretExpiresAt);
    if (previousEnd !== undefined && previousEnd - nowMs <= warnDays * DAY_MS) {
        findings.push({
            status: "warn",
            message:
                previousEnd <= nowMs
                    ? `the previous secret ended at ${values.previousSecretExpiresAt}`
                    : `the previous secret ends at ${values.previousSecretExpiresAt}, in ${wholeDays(previousEnd - nowMs)} days`,
            action: `make sure the suite holds the current secret (pulumi stack output clientSecret --show-secrets --stack ${stack}; npm run doctor -- --stack ${stack} --handover proves it)`,
        });
    }

    findings.push(...outputFindings(snapshot));

    findings.sort((a, b) => SEVERITY[a.status] - SEVERITY[b.status]);
    const status: FleetStatus = findings[0]?.status ?? "ok";
    const actions = [
        ...new Set(
            findings.filter((finding) => finding.status === status && finding.action !== null).map((f) => f.action),
        ),
    ];
    return {
        stack,
        status,
        action: actions.length > 0 ? actions.join("; ") : null,
        findings: findings.map((finding) => finding.message),
        tenantId: values.tenantId ?? null,
        applicationClientId: values.applicationClientId ?? null,
        clientSecretExpiresAt: values.clientSecretExpiresAt ?? null,
        clientSecretDaysLeft: secretEnd === undefined ? null : daysBetween(nowMs, secretEnd),
        previousSecretExpiresAt: values.previousSecretExpiresAt ?? null,
        nextSecretRotationAt: values.nextSecretRotationAt ?? null,
        lastUpdateAt: lastUpdate?.at ?? null,
        lastUpdateKind: lastUpdate?.kind ?? null,
        lastUpdateResult: lastUpdate?.result ?? null,
    };
}

/** Never deployed, not a ucx-mail stack, an output missing or unusable: all warnings. */
function outputFindings(snapshot: StackSnapshot): Finding[] {
    const outputs = snapshot.outputs;
    if (outputs === undefined) return [];
    const redeploy = `run pulumi up --stack ${snapshot.stack} with the current ucx-mail so that it exports valid outputs`;
    if (outputs.outputCount === 0 && snapshot.lastUpdate === null) {
        return [{ status: "warn", message: "the stack was never deployed", action: null }];
    }
    const present = FLEET_OUTPUT_KEYS.filter(
        (key) => outputs.values[key] !== undefined || outputs.malformed.some((entry) => entry.key === key),
    );
    if (present.length === 0) {
        return [{ status: "warn", message: "the stack has no ucx-mail outputs", action: null }];
    }
    const findings: Finding[] = outputs.malformed.map(({ key, printed }) => ({
        status: "warn",
        message: `output ${key} is not usable: ${printed}${key.endsWith("At") ? " is not an ISO 8601 time" : GUID_KEYS.includes(key) ? " is not a GUID" : ""}`,
        action: redeploy,
    }));
    for (const key of REQUIRED_OUTPUT_KEYS.filter((required) => !present.includes(required))) {
        findings.push({ status: "warn", message: `the stack has no ${key} output`, action: redeploy });
    }
    return findings;
}

/** Orders rows fail, warn, ok, then by stack name. Pure. */
export function sortRows(rows: readonly FleetRow[]): FleetRow[] {
    return [...rows].sort((a, b) => SEVERITY[a.status] - SEVERITY[b.status] || compareNames(a.stack, b.stack));
}

/** Code-point order, as `pulumi stack ls` sorts: the same on every machine, whatever its locale. */
function compareNames(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

function timeOf(iso: string | undefined): number | undefined {
    return iso === undefined ? undefined : Date.parse(iso);
}

function wholeDays(ms: number): number {
    return Math.floor(ms / DAY_MS);
}

/** Whole days from `fromMs` to `toMs`, counted towards zero: 3.9 days ago is -3, 249.9 days ahead is 249. */
function daysBetween(fromMs: number, toMs: number): number {
    return Math.trunc((toMs - fromMs) / DAY_MS) || 0;
}
