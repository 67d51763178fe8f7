// client-secret-max-lifetime: every client secret has an explicit, bounded end date.
import * as azuread from "@pulumi/azuread";
import { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { PreviewGaps, stringOrUndefined } from "./previewValues";

export const CLIENT_SECRET_MAX_LIFETIME = "client-secret-max-lifetime";

/** Entra's longest client secret lifetime (24 months), the default and ceiling of `maxDays`. */
export const ENTRA_MAX_SECRET_DAYS = 730;

/** The lifetime the description recommends; ucx-mail's rotation keeps 2 x secretRotationDays under it. */
export const RECOMMENDED_SECRET_DAYS = 365;

/** Policy config. */
export interface ClientSecretMaxLifetimeConfig {
    readonly maxDays?: number;
}

/** The lifetime-relevant inputs of a client secret. */
export interface ClientSecretDates {
    readonly endDate?: string;
    readonly startDate?: string;
    readonly endDateRelative?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** Milliseconds since the epoch for an RFC 3339 timestamp, or undefined when it is not one. */
export function parseRfc3339(value: string): number | undefined {
    if (!RFC3339.test(value)) {
        return undefined;
    }
    const time = Date.parse(value);
    return Number.isNaN(time) ? undefined : time;
}

function formatDays(ms: number): string {
    return `${Number((ms / DAY_MS).toFixed(1))} days`;
}

/**
 * Every lifetime problem of one secret. The lifetime runs from startDate when given, else from `now`
 * (Entra starts a secret without startDate when it is created). Pure.
 */
export function secretLifetimeProblems(secret: ClientSecretDates, maxDays: number, now: Date): string[] {
    const problems: string[] = [];
    const fix =
        `Set endDate to an RFC 3339 time at most ${maxDays} days after its start ` +
        `(${RECOMMENDED_SECRET_DAYS} days or less is recommended; ucx-mail's rotation sets it for you).`;
    if (secret.endDateRelative !== undefined) {
        problems.push(
            `It sets endDateRelative ("${secret.endDateRelative}"), which the azuread provider has deprecated and ` +
                `which hides the real end date from review. Remove endDateRelative. ${fix}`,
        );
    }
    if (secret.endDate === undefined) {
        if (secret.endDateRelative === undefined) {
            problems.push(`It has no explicit endDate, so Entra picks the lifetime. ${fix}`);
        }
        return problems;
    }
    const end = parseRfc3339(secret.endDate);
    if (end === undefined) {
        problems.push(`Its endDate "${secret.endDate}" is not an RFC 3339 time such as 2027-01-31T00:00:00Z. ${fix}`);
        return problems;
    }
    let start = now.getTime();
    let startLabel = `now (${now.toISOString()})`;
    if (secret.startDate !== undefined) {
        const parsedStart = parseRfc3339(secret.startDate);
        if (parsedStart === undefined) {
            problems.push(
                `Its startDate "${secret.startDate}" is not an RFC 3339 time such as 2026-01-31T00:00:00Z. ` +
                    `Fix startDate or leave it out.`,
            );
            return problems;
        }
        start = parsedStart;
        startLabel = `its startDate ${secret.startDate}`;
    }
    if (end <= start) {
        problems.push(`Its endDate ${secret.endDate} is not after ${startLabel}, so it is never valid. ${fix}`);
    } else if (end - start > maxDays * DAY_MS) {
        problems.push(
            `It is valid for ${formatDays(end - start)}, from ${startLabel} to its endDate ${secret.endDate}: more ` +
                `than maxDays (${maxDays}). A long-lived secret that leaks stays usable for that long. ${fix}`,
        );
    }
    return problems;
}

/** maxDays from the policy config, or Entra's cap. */
export function maxSecretDays(config: ClientSecretMaxLifetimeConfig): number {
    return config.maxDays ?? ENTRA_MAX_SECRET_DAYS;
}

function readSecretDates(source: Record<string, unknown>, gaps: PreviewGaps): ClientSecretDates | undefined {
    const endDate = gaps.read(() => stringOrUndefined(source.endDate));
    const startDate = gaps.read(() => stringOrUndefined(source.startDate));
    const endDateRelative = gaps.read(() => stringOrUndefined(source.endDateRelative));
    if (endDate === undefined || startDate === undefined || endDateRelative === undefined) {
        return undefined;
    }
    return { endDate: endDate.value, startDate: startDate.value, endDateRelative: endDateRelative.value };
}

function validateClientSecretLifetime(args: ResourceValidationArgs, reportViolation: ReportViolation): void {
    const maxDays = maxSecretDays(args.getConfig<ClientSecretMaxLifetimeConfig>());
    const props = args.props as Record<string, unknown>;
    const gaps = new PreviewGaps();
    let secret: ClientSecretDates | undefined;
    if (args.isType(azuread.ApplicationPassword) || args.isType(azuread.ServicePrincipalPassword)) {
        secret = readSecretDates(props, gaps);
    } else if (args.isType(azuread.Application)) {
        // The inline password block of an app registration is a client secret too.
        const block = gaps.read(() => props.password);
        if (block === undefined || block.value === undefined || block.value === null) {
            gaps.rethrowFirst();
            args.notApplicable("the app registration declares no inline password");
        }
        secret = readSecretDates(block.value as Record<string, unknown>, gaps);
    } else {
        args.notApplicable("client-secret-max-lifetime checks client secrets only");
    }
    if (secret !== undefined) {
        secretLifetimeProblems(secret, maxDays, new Date()).forEach((problem) => reportViolation(problem));
    }
    gaps.rethrowFirst();
}

export const clientSecretMaxLifetime: ResourceValidationPolicy = {
    name: CLIENT_SECRET_MAX_LIFETIME,
    description:
        `Every client secret (azuread ApplicationPassword, ServicePrincipalPassword, inline app password) has an ` +
        `explicit endDate at most maxDays (default ${ENTRA_MAX_SECRET_DAYS}, Entra's cap) after its startDate, or ` +
        `after now when it has none. ${RECOMMENDED_SECRET_DAYS} days or less is recommended. endDateRelative is ` +
        `deprecated and not accepted.`,
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: {
        properties: {
            maxDays: {
                type: "integer",
                minimum: 1,
                maximum: ENTRA_MAX_SECRET_DAYS,
                default: ENTRA_MAX_SECRET_DAYS,
                description: `Longest allowed client secret lifetime in days (${RECOMMENDED_SECRET_DAYS} or less recommended).`,
            },
        },
    },
    validateResource: validateClientSecretLifetime,
};
