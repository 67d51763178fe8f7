import { FakeStack, FakeUpdate } from "./fakePulumiWorld";

export const DAY_MS = 24 * 60 * 60 * 1000;

/** A time `days` from `now` (negative: in the past), as the rotation schedule writes it (no milliseconds). */
export function daysFrom(now: Date, days: number): string {
    return new Date(now.getTime() + days * DAY_MS).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** What a healthy weekly run looks like: the update succeeded `daysAgo` days ago. */
export function succeededUpdate(now: Date, daysAgo: number, result = "succeeded"): FakeUpdate {
    const start = new Date(now.getTime() - daysAgo * DAY_MS);
    return { kind: "update", result, startTime: start, endTime: new Date(start.getTime() + 95_000) };
}

/** The secret value each fake stack holds; the fleet must never print it, nor any other output's secret. */
export function secretOf(name: string): string {
    return `Qx8~${name}-client-secret-value`;
}

/** The ids of tenant `name`: stable GUID-shaped text derived from the name, different per tenant. */
export function idsOf(name: string): { tenantId: string; applicationClientId: string } {
    const hex = [...name]
        .map((character) => character.charCodeAt(0).toString(16))
        .join("")
        .padEnd(12, "0")
        .slice(0, 12);
    return {
        tenantId: `7d2a3f4e-1b2c-4d5e-8f90-${hex}`,
        applicationClientId: `0f1e2d3c-4b5a-4697-8a7b-${hex}`,
    };
}

/** Days from now of each date output, for one tenant. */
export interface TenantTimes {
    readonly secretEndsInDays: number;
    readonly previousEndsInDays?: number;
    readonly nextRotationInDays: number;
}

/** A deployed ucx-mail stack: every output index.ts exports, clientSecret secret, one update in the history. */
export function ucxMailStack(name: string, now: Date, times: TenantTimes, history?: readonly FakeUpdate[]): FakeStack {
    return {
        name,
        outputs: {
            ...idsOf(name),
            applicationObjectId: "11111111-2222-3333-4444-555555555555",
            servicePrincipalObjectId: "6233fba6-0198-4277-892f-9275bf728bcc",
            clientSecret: secretOf(name),
            clientSecretExpiresAt: daysFrom(now, times.secretEndsInDays),
            nextSecretRotationAt: daysFrom(now, times.nextRotationInDays),
            ...(times.previousEndsInDays === undefined
                ? {}
                : { previousSecretExpiresAt: daysFrom(now, times.previousEndsInDays) }),
            mailboxes: ["fax@contoso.com", "scan@contoso.com"],
            exchangeServicePrincipalName: "UCXSuiteMail",
        },
        secretOutputs: ["clientSecret"],
        history: history ?? [succeededUpdate(now, 2)],
    };
}

/** The healthy middle of a 180-day period: 250 days left, previous ends at the next rotation in 70 days. */
export const HEALTHY: TenantTimes = { secretEndsInDays: 250, previousEndsInDays: 70, nextRotationInDays: 70 };
