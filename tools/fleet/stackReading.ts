import { isGuid } from "../../components/config";
import { PulumiCallError, PulumiCliOptions, runPulumiJson } from "./pulumiCli";

/** The stack outputs the fleet reads. clientSecret is never among them: the fleet never asks for secrets. */
export const FLEET_OUTPUT_KEYS = [
    "tenantId",
    "applicationClientId",
    "clientSecretExpiresAt",
    "previousSecretExpiresAt",
    "nextSecretRotationAt",
] as const;
export type FleetOutputKey = (typeof FLEET_OUTPUT_KEYS)[number];
const TIME_KEYS: readonly FleetOutputKey[] = [
    "clientSecretExpiresAt",
    "previousSecretExpiresAt",
    "nextSecretRotationAt",
];
/** A deployed ucx-mail stack always exports these; previousSecretExpiresAt may be absent in its first period. */
export const REQUIRED_OUTPUT_KEYS: readonly FleetOutputKey[] = [
    "tenantId",
    "applicationClientId",
    "clientSecretExpiresAt",
    "nextSecretRotationAt",
];
/** The ids the suite holds; anything but a GUID there is no ucx-mail value (or a hostile one). */
export const GUID_KEYS: readonly FleetOutputKey[] = ["tenantId", "applicationClientId"];
/** ISO 8601 date-time with a zone, as the rotation schedule writes it. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The ucx-mail outputs of one stack, checked. */
export interface FleetOutputs {
    /** Well-formed values only. */
    readonly values: Partial<Record<FleetOutputKey, string>>;
    /** Outputs present with a value the fleet cannot use, as printed (JSON). */
    readonly malformed: readonly { readonly key: FleetOutputKey; readonly printed: string }[];
    /** How many outputs the stack has at all (0: never deployed or empty). */
    readonly outputCount: number;
}

/** The newest entry of `pulumi stack history`. */
export interface LastUpdate {
    /** update, refresh, destroy, ... (apitype.UpdateKind). */
    readonly kind: string;
    /** succeeded, failed, in-progress, not-started (apitype.UpdateResult). */
    readonly result: string;
    /** When it ended, or started while still running. */
    readonly at?: string;
}

/** Everything read about one stack; a failed CLI call leaves its part undefined and says why in readErrors. */
export interface StackSnapshot {
    readonly stack: string;
    readonly outputs?: FleetOutputs;
    /** null: the stack has no history (never deployed). */
    readonly lastUpdate?: LastUpdate | null;
    readonly readErrors: readonly string[];
}

/** The stack names `pulumi stack ls --json` prints (an array of stackSummaryJSON). Pure. */
export function parseStackList(printed: unknown): string[] {
    if (!Array.isArray(printed)) throw new PulumiCallError("pulumi stack ls --json", "it printed no list of stacks");
    return printed.map((entry: unknown) => {
        const name = (entry as { name?: unknown } | null)?.name;
        if (typeof name !== "string" || name === "") {
            throw new PulumiCallError("pulumi stack ls --json", "it printed a stack without a name");
        }
        return name;
    });
}

/** Picks and checks the fleet's values from `pulumi stack output --json` (an object of outputs). Pure. */
export function parseFleetOutputs(printed: unknown): FleetOutputs {
    if (typeof printed !== "object" || printed === null || Array.isArray(printed)) {
        throw new PulumiCallError("pulumi stack output --json", "it printed no object of outputs");
    }
    const record = printed as Record<string, unknown>;
    const values: Partial<Record<FleetOutputKey, string>> = {};
    const malformed: { key: FleetOutputKey; printed: string }[] = [];
    for (const key of FLEET_OUTPUT_KEYS) {
        const value = record[key];
        if (value === undefined || value === null) continue;
        const wellFormed =
            typeof value === "string" &&
            value !== "" &&
            value !== "[secret]" &&
            (!TIME_KEYS.includes(key) || (ISO_TIME.test(value) && !Number.isNaN(Date.parse(value)))) &&
            (!GUID_KEYS.includes(key) || isGuid(value));
        if (wellFormed) values[key] = value;
        else malformed.push({ key, printed: JSON.stringify(value) });
    }
    return { values, malformed, outputCount: Object.keys(record).length };
}

/** The newest update from `pulumi stack history --json --page-size 1` (an array of updateInfoJSON). Pure. */
export function parseLastUpdate(printed: unknown): LastUpdate | null {
    if (!Array.isArray(printed))
        throw new PulumiCallError("pulumi stack history --json", "it printed no list of updates");
    if (printed.length === 0) return null;
    const newest = printed[0] as Record<string, unknown> | null;
    const kind = newest?.kind;
    const result = newest?.result;
    if (typeof kind !== "string" || typeof result !== "string") {
        throw new PulumiCallError("pulumi stack history --json", "its newest update has no kind or result");
    }
    const at = [newest?.endTime, newest?.startTime].find((time): time is string => typeof time === "string");
    return { kind, result, at };
}

/** Lists the project's stacks with `pulumi stack ls --json`. */
export async function listStackNames(options: PulumiCliOptions): Promise<string[]> {
    return parseStackList(await runPulumiJson(["stack", "ls", "--json"], options));
}

/**
 * Reads one stack: its outputs (secrets stay "[secret]": no --show-secrets) and its newest update. The two calls
 * run one after the other, so --concurrency bounds the number of Pulumi processes. A failed call is recorded,
 * not thrown, so the rest of the fleet is still reported.
 */
export async function readStack(stack: string, options: PulumiCliOptions): Promise<StackSnapshot> {
    const readErrors: string[] = [];
    const outputs = await recordFailure(readErrors, async () =>
        parseFleetOutputs(await runPulumiJson(["stack", "output", "--json", "--stack", stack], options)),
    );
    const lastUpdate = await recordFailure(readErrors, async () =>
        parseLastUpdate(
            await runPulumiJson(["stack", "history", "--json", "--stack", stack, "--page-size", "1"], options),
        ),
    );
    return { stack, outputs, lastUpdate, readErrors };
}

async function recordFailure<T>(errors: string[], read: () => Promise<T>): Promise<T | undefined> {
    try {
        return await read();
    } catch (error) {
        if (!(error instanceof PulumiCallError)) throw error;
        errors.push(error.message);
        return undefined;
    }
}
