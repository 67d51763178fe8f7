// Period arithmetic and the two-slot rotation state machine for the client secret. Pure: no Pulumi, no I/O
// except the clock, which tests set through UCX_MAIL_NOW.
//
// Time is cut into periods of P = secretRotationDays days counted from the Unix epoch (UTC). A slot renewed in
// period q is valid until the end of period q+1. The first run lays the slots out on the schedule (slot `a` in
// even periods, `b` in odd ones). Every later rotation renews the older slot and exports it, so the secret that
// was exported before stays untouched. A forced rotation (new secretRotationKey) is one such rotation inside a
// period; from then on the parity of the slots is swapped, which is why the state is kept (see RotationState).

import { createHash } from "node:crypto";

export const DAY_MS = 24 * 60 * 60 * 1000;
/** Periods are counted from the Unix epoch, 1970-01-01T00:00:00Z. */
export const ROTATION_EPOCH_MS = 0;
/** Entra ID refuses client secrets that live longer than 24 months; the shortest 24 months span 730 days. */
export const ENTRA_MAX_SECRET_LIFETIME_DAYS = 730;
/** A slot lives at most two periods, so 2 · P must fit Entra's maximum lifetime. */
export const MAX_ROTATION_DAYS = ENTRA_MAX_SECRET_LIFETIME_DAYS / 2;
/** A period lasts at least a week, so the weekly scheduled `pulumi up` (docs/rotation.md) never skips one. */
export const MIN_ROTATION_DAYS = 7;
/** The environment variable that sets "now" (an ISO 8601 instant) for tests and dry runs. */
export const NOW_ENV_VAR = "UCX_MAIL_NOW";

export type SlotName = "a" | "b";

/**
 * Throws a RangeError unless `days` is a whole number of days, at least a week, whose double fits Entra's 24-month
 * maximum secret lifetime. A built-in error type, because this code also runs inside the serialized rotation ledger.
 */
export function assertRotationDays(days: number): void {
    if (!Number.isInteger(days) || days < MIN_ROTATION_DAYS) {
        throw new RangeError(
            `secretRotationDays must be a whole number of days from ${MIN_ROTATION_DAYS} to ${MAX_ROTATION_DAYS}; ` +
                `got ${days}. ` +
                `Fix: pulumi config set --plaintext ucx-mail:secretRotationDays 180`,
        );
    }
    if (2 * days > ENTRA_MAX_SECRET_LIFETIME_DAYS) {
        throw new RangeError(
            `secretRotationDays is ${days}, but a secret lives up to two periods (2 × secretRotationDays = ` +
                `${2 * days} days) and Entra ID allows at most 24 months (${ENTRA_MAX_SECRET_LIFETIME_DAYS} days). ` +
                `The largest allowed value is ${MAX_ROTATION_DAYS}. ` +
                `Fix: pulumi config set --plaintext ucx-mail:secretRotationDays ${MAX_ROTATION_DAYS}`,
        );
    }
}

/** The instant the program runs at: UCX_MAIL_NOW when set (tests), otherwise the real clock. */
export function currentInstant(env: Readonly<Record<string, string | undefined>> = process.env): Date {
    const injected = env[NOW_ENV_VAR];
    if (injected === undefined || injected === "") return new Date();
    const parsed = Date.parse(injected);
    if (Number.isNaN(parsed)) {
        throw new Error(
            `${NOW_ENV_VAR} is "${injected}", which is not an ISO 8601 instant (e.g. 2026-11-26T09:00:00Z). ` +
                `Fix: unset ${NOW_ENV_VAR} to use the real clock.`,
        );
    }
    return new Date(parsed);
}

/** The index of the period that contains `instantMs`. */
export function periodIndex(instantMs: number, rotationDays: number): number {
    return Math.floor((instantMs - ROTATION_EPOCH_MS) / (rotationDays * DAY_MS));
}

/** The first instant of period `period`, in milliseconds since the Unix epoch. */
export function periodStartMs(period: number, rotationDays: number): number {
    return ROTATION_EPOCH_MS + period * rotationDays * DAY_MS;
}

/** An instant as RFC 3339 in UTC without fractional seconds, the form Entra and the azuread provider store. */
export function rfc3339(instantMs: number): string {
    return new Date(instantMs).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The first instant of period `period` as an RFC 3339 string. */
export function periodStart(period: number, rotationDays: number): string {
    return rfc3339(periodStartMs(period, rotationDays));
}

/** The slot the schedule renews in `period` when no rotation was ever forced. */
export function scheduledSlot(period: number): SlotName {
    return period % 2 === 0 ? "a" : "b";
}

export function otherSlot(slot: SlotName): SlotName {
    return slot === "a" ? "b" : "a";
}

/** A stable, short digest of secretRotationKey: the state records that the key changed, not the key itself. */
export function rotationKeyDigest(rotationKey: string): string {
    return createHash("sha256").update(rotationKey, "utf8").digest("hex").slice(0, 16);
}

/** One slot as it was last renewed. Every field changes only when the slot is renewed. */
export interface SlotState {
    /** Counts every secret issued by this stack, so the newest secret has the highest generation. */
    readonly generation: number;
    /** The period the slot was renewed in. */
    readonly renewedInPeriod: number;
    /** End of period renewedInPeriod + 1 (ISO 8601): the secret's endDate. */
    readonly expiresAt: string;
}

/**
 * What the stack remembers between runs. Config and the clock alone cannot tell whether a rotation was forced in
 * an earlier period (that swaps the parity of the slots for good), so this is kept in the stack state.
 */
export interface RotationState {
    readonly rotationDays: number;
    readonly rotationKeyDigest: string;
    /** The slot holding the exported secret. */
    readonly newest: SlotName;
    /** From this instant the next `pulumi up` rotates: the end of the period the newest slot was renewed in. */
    readonly nextRotationAt: string;
    readonly slots: { readonly a: SlotState; readonly b: SlotState };
}

/** What one run asks for: the period it runs in, under the configured period length and key. */
export interface RotationRequest {
    readonly period: number;
    readonly rotationDays: number;
    readonly rotationKeyDigest: string;
}

/** The request for a run at `instant` with the configured secretRotationDays and secretRotationKey. */
export function rotationRequest(instant: Date, rotationDays: number, rotationKey: string): RotationRequest {
    assertRotationDays(rotationDays);
    return {
        period: periodIndex(instant.getTime(), rotationDays),
        rotationDays,
        rotationKeyDigest: rotationKeyDigest(rotationKey),
    };
}

function renewed(generation: number, period: number, rotationDays: number): SlotState {
    return { generation, renewedInPeriod: period, expiresAt: periodStart(period + 2, rotationDays) };
}

/** The first run: both slots laid out as if the schedule had always run (current slot renewed now). */
export function initialRotationState(request: RotationRequest): RotationState {
    const { period, rotationDays } = request;
    const newest = scheduledSlot(period);
    const slots = {
        [newest]: renewed(2, period, rotationDays),
        [otherSlot(newest)]: renewed(1, period - 1, rotationDays),
    } as { a: SlotState; b: SlotState };
    return {
        rotationDays,
        rotationKeyDigest: request.rotationKeyDigest,
        newest,
        nextRotationAt: periodStart(period + 1, rotationDays),
        slots,
    };
}

/** Why a run rotates, or undefined when it must change nothing. */
export function rotationReason(
    previous: RotationState,
    request: RotationRequest,
): "scheduled" | "forced" | "period-changed" | undefined {
    if (previous.rotationDays !== request.rotationDays) return "period-changed";
    if (periodStartMs(request.period, request.rotationDays) >= Date.parse(previous.nextRotationAt)) return "scheduled";
    if (previous.rotationKeyDigest !== request.rotationKeyDigest) return "forced";
    return undefined;
}

/**
 * The state after a run. Without a reason to rotate it returns `previous` unchanged. Otherwise it renews exactly
 * one slot, the one not exported, and exports it. A boundary crossed in the same run as a key change is one
 * rotation, because the secret in use must survive it.
 */
export function advanceRotation(previous: RotationState | undefined, request: RotationRequest): RotationState {
    assertRotationDays(request.rotationDays);
    if (previous === undefined) return initialRotationState(request);
    if (rotationReason(previous, request) === undefined) return previous;
    const { period, rotationDays } = request;
    const target = otherSlot(previous.newest);
    const generation = Math.max(previous.slots.a.generation, previous.slots.b.generation) + 1;
    return {
        rotationDays,
        rotationKeyDigest: request.rotationKeyDigest,
        newest: target,
        nextRotationAt: periodStart(period + 1, rotationDays),
        slots: { ...previous.slots, [target]: renewed(generation, period, rotationDays) },
    };
}

/** Which secret the stack's outputs export: the slot and its generation. Not secret. */
export interface ExportedSlot {
    readonly slot: SlotName;
    readonly generation: number;
    /**
     * The period and key digest the exporting run had applied, so that a ledger rebuilt from the outputs still sees a
     * change of either since (a forced rotation a failed run began); absent on outputs saved before they existed.
     */
    readonly rotationDays?: number;
    readonly rotationKeyDigest?: string;
}

/**
 * What the stack's saved outputs say about the exported secret, read back at the start of a run. The engine saves
 * stack outputs only from a run whose program registered them, so this names the secret the suite may hold even
 * when the ledger, which is saved as soon as its own step completes, went further. Every field is absent on the
 * stack's first run; `exported` is also absent on stacks whose outputs predate it.
 */
export interface SavedRotationOutputs {
    readonly exported?: ExportedSlot;
    readonly expiresAt?: string;
    readonly nextRotationAt?: string;
    readonly previousExpiresAt?: string;
}

/**
 * The key digest of a state rebuilt from the saved outputs. It matches no key, so the next run rotates once: it
 * completes the rotation the ledger started but no run exported.
 */
export const UNCOMMITTED_KEY_DIGEST = "uncommitted";

/** The exported slot the saved outputs name, or, on outputs without it, the slot whose end dates they show. */
function savedExportedSlot(ledger: RotationState, saved: SavedRotationOutputs): SlotName | undefined {
    if (saved.exported !== undefined) return saved.exported.slot;
    if (saved.expiresAt === undefined) return undefined;
    const newestMatches =
        ledger.slots[ledger.newest].expiresAt === saved.expiresAt && ledger.nextRotationAt === saved.nextRotationAt;
    if (newestMatches) return ledger.newest;
    const other = otherSlot(ledger.newest);
    return ledger.slots[other].expiresAt === saved.expiresAt ? other : undefined;
}

/** A slot as the saved outputs show it: its generation and end date, and the period its end date implies. */
function slotFromOutputs(generation: number, expiresAt: string, rotationDays: number): SlotState {
    return { generation, renewedInPeriod: periodIndex(Date.parse(expiresAt), rotationDays) - 2, expiresAt };
}

/** A slot as the saved outputs show it, keeping the ledger's record when that is the same secret. */
function savedSlot(recorded: SlotState, generation: number, expiresAt: string, rotationDays: number): SlotState {
    if (recorded.generation === generation && recorded.expiresAt === expiresAt) return recorded;
    return slotFromOutputs(generation, expiresAt, rotationDays);
}

/**
 * The state the next run advances from: the ledger when it agrees with the stack's saved outputs, otherwise the
 * state those outputs committed. The ledger is ahead of them when a run failed after the ledger's step: the
 * secret the outputs export is the one the suite may hold, so it must stay the newest until a run exports another.
 * The two slots always hold consecutive generations, which lets the outputs' newest slot give the other's.
 */
export function committedRotationState(
    ledger: RotationState | undefined,
    saved: SavedRotationOutputs | undefined,
    request?: RotationRequest,
): RotationState | undefined {
    if (saved === undefined) return ledger;
    if (ledger === undefined) return request === undefined ? undefined : rebuiltFromSavedOutputs(saved, request);
    // No run has saved outputs yet (every earlier run failed), so no secret was exported: lay the slots out afresh,
    // on the schedule this run asks for, instead of keeping end dates the tenant may have refused.
    if (saved.exported === undefined && saved.expiresAt === undefined) return undefined;
    const slot = savedExportedSlot(ledger, saved);
    // Outputs that name neither slot cannot tell which secret the suite holds; the ledger is all there is.
    if (slot === undefined || saved.expiresAt === undefined) return ledger;
    const generation = saved.exported?.generation ?? ledger.slots[slot].generation;
    const inStep =
        ledger.newest === slot &&
        ledger.slots[slot].generation === generation &&
        ledger.slots[slot].expiresAt === saved.expiresAt;
    if (inStep) return ledger;
    const other = otherSlot(slot);
    const otherExpiresAt = saved.previousExpiresAt ?? ledger.slots[other].expiresAt;
    return {
        rotationDays: ledger.rotationDays,
        rotationKeyDigest: UNCOMMITTED_KEY_DIGEST,
        newest: slot,
        nextRotationAt: saved.nextRotationAt ?? ledger.nextRotationAt,
        slots: {
            [slot]: savedSlot(ledger.slots[slot], generation, saved.expiresAt, ledger.rotationDays),
            [other]: savedSlot(ledger.slots[other], generation - 1, otherExpiresAt, ledger.rotationDays),
        } as { a: SlotState; b: SlotState },
    };
}

/**
 * The ledger's state when the ledger has none but the saved outputs name both secrets: its state was removed
 * (`pulumi state delete`), or a targeted replacement (`pulumi up --replace`, or a tainted ledger) checked it without
 * its old inputs ("if the resource has been targeted for replacement, ignore its old state", step_generator.go).
 * Both slots keep the generation and end date the outputs exported, and the period and key digest are those the
 * exporting run had applied: nothing rotates before the saved `nextRotationAt` unless the period or the key changed
 * since, as with the ledger itself. Outputs saved before those two existed count as this run's period and key.
 * Undefined when the outputs cannot say which secret is where.
 */
function rebuiltFromSavedOutputs(saved: SavedRotationOutputs, request: RotationRequest): RotationState | undefined {
    const { exported, expiresAt, nextRotationAt, previousExpiresAt } = saved;
    if (exported === undefined || expiresAt === undefined || nextRotationAt === undefined) return undefined;
    if (previousExpiresAt === undefined) return undefined;
    const rotationDays = exported.rotationDays ?? request.rotationDays;
    return {
        rotationDays,
        rotationKeyDigest: exported.rotationKeyDigest ?? request.rotationKeyDigest,
        newest: exported.slot,
        nextRotationAt,
        slots: {
            [exported.slot]: slotFromOutputs(exported.generation, expiresAt, rotationDays),
            // The two slots always hold consecutive generations (advanceRotation, initialRotationState).
            [otherSlot(exported.slot)]: slotFromOutputs(exported.generation - 1, previousExpiresAt, rotationDays),
        } as { a: SlotState; b: SlotState },
    };
}

/** What a run that ends in `state` saves in the stack outputs, as the next run reads it back. */
export function savedOutputsOf(state: RotationState): SavedRotationOutputs {
    const summary = summarizeRotation(state);
    return {
        exported: summary.exported,
        expiresAt: summary.expiresAt,
        nextRotationAt: summary.nextRotationAt,
        previousExpiresAt: summary.previousExpiresAt,
    };
}

/**
 * Throws unless the newest slot holds the generation the state gives it (`held` is the slot resource's own
 * rotateWhenChanged.generation). A run that skipped the slot, such as `pulumi up --target` of another resource,
 * keeps the slot's old secret; exporting the state then would name a secret that does not exist, and the next run
 * would replace the secret those outputs export.
 */
export function assertNewestSlotHeld(state: RotationState, held: string | undefined): void {
    const wanted = state.slots[state.newest].generation;
    if (held === String(wanted)) return;
    throw new Error(
        `The client secret rotation is not complete: slot ${state.newest} should hold generation ${wanted}, but ` +
            `holds generation ${held ?? "none"}, because this run skipped it (pulumi up --target) or an earlier run ` +
            `failed. The stack outputs keep the secret they exported. Fix: run pulumi up without --target.`,
    );
}

/** The values the stack exports about its secrets. */
export interface RotationSummary {
    readonly exportedSlot: SlotName;
    /** The exported slot and its generation, exported so that the next run can read back what was committed. */
    readonly exported: ExportedSlot;
    readonly expiresAt: string;
    readonly nextRotationAt: string;
    readonly previousSlot: SlotName;
    readonly previousExpiresAt: string;
}

/** Whether two states are the same, whatever the order of their keys (state round-trips through Pulumi). */
export function sameRotationState(left: RotationState | undefined, right: RotationState | undefined): boolean {
    return canonicalJson(left) === canonicalJson(right);
}

function canonicalJson(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
    if (value !== null && typeof value === "object") {
        const entries = Object.entries(value as Record<string, unknown>)
            .filter(([, v]) => v !== undefined)
            .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
    }
    return JSON.stringify(value) ?? "null";
}

export function summarizeRotation(state: RotationState): RotationSummary {
    const previousSlot = otherSlot(state.newest);
    return {
        exportedSlot: state.newest,
        exported: {
            slot: state.newest,
            generation: state.slots[state.newest].generation,
            rotationDays: state.rotationDays,
            rotationKeyDigest: state.rotationKeyDigest,
        },
        expiresAt: state.slots[state.newest].expiresAt,
        nextRotationAt: state.nextRotationAt,
        previousSlot,
        previousExpiresAt: state.slots[previousSlot].expiresAt,
    };
}

/** The description shown in the Entra portal: which slot, which generation, and until when. */
export function slotDisplayName(slot: SlotName, state: SlotState): string {
    return `ucx-mail slot ${slot} gen ${state.generation} until ${state.expiresAt.slice(0, 10)}`;
}
