// The app registration's client secret, rotated through ordinary `pulumi up` runs with no outage: two
// ApplicationPassword slots that take turns, and a small ledger in the stack state that remembers which slot is
// newest. The ledger advances from what the stack's saved outputs committed, read back through a StackReference
// to the stack itself, so a run that failed after the ledger's step never costs the suite its secret. The rotation
// rules live in rotationSchedule.ts; this file only turns them into resources.

import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import {
    advanceRotation,
    assertNewestSlotHeld,
    committedRotationState,
    currentInstant,
    MAX_ROTATION_DAYS,
    MIN_ROTATION_DAYS,
    rotationRequest,
    sameRotationState,
    slotDisplayName,
    summarizeRotation,
    UNCOMMITTED_KEY_DIGEST,
    type ExportedSlot,
    type RotationRequest,
    type RotationState,
    type SavedRotationOutputs,
    type SlotName,
} from "./rotationSchedule";

/**
 * The names index.ts exports the rotation outputs under. The next run reads them back from the stack's saved
 * outputs, so renaming one here renames it there.
 */
export const ROTATION_OUTPUT_NAMES = {
    exported: "clientSecretSlot",
    expiresAt: "clientSecretExpiresAt",
    nextRotationAt: "nextSecretRotationAt",
    previousExpiresAt: "previousSecretExpiresAt",
} as const satisfies Record<keyof SavedRotationOutputs, string>;

export interface RotatingClientSecretArgs {
    /** The app registration's Pulumi id, "/applications/<objectId>". */
    readonly applicationId: pulumi.Input<string>;
    /** Rotation period P in days (secretRotationDays). */
    readonly rotationDays: number;
    /** Changing it forces a rotation now (secretRotationKey). */
    readonly rotationKey: string;
}

/**
 * The ledger's inputs as the engine hands them back; `state` is what the previous run decided, if anything, and
 * `saved` what the stack's outputs held when this run started.
 */
interface LedgerInputs extends RotationRequest {
    readonly state?: RotationState;
    readonly saved?: SavedRotationOutputs;
}

// Captured by value when Pulumi serializes the provider below, so the deployed ledger runs exactly this code.
const advance = advanceRotation;
const committed = committedRotationState;
const sameState = sameRotationState;

/**
 * Keeps the RotationState in the stack state. `check` receives the inputs the previous run stored, so it can
 * advance the state there: `pulumi preview` then shows exactly which slot a run will replace. Nothing is called
 * outside the Pulumi engine, and the clock is the program's (the `period` input).
 */
export const rotationLedgerProvider: pulumi.dynamic.ResourceProvider = {
    async check(olds: LedgerInputs, news: LedgerInputs) {
        const request = {
            period: news.period,
            rotationDays: news.rotationDays,
            rotationKeyDigest: news.rotationKeyDigest,
        };
        return { inputs: { ...news, state: advance(committed(olds.state, news.saved, request), request) } };
    },
    async diff(_id: string, olds: LedgerInputs, news: LedgerInputs) {
        return { changes: !sameState(olds.state, news.state), replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: LedgerInputs) {
        return { id: "rotation-ledger", outs: { ...inputs } };
    },
    async update(_id: string, _olds: LedgerInputs, news: LedgerInputs) {
        return { outs: { ...news } };
    },
};

/** The stack's memory of the rotation: which slot is newest and when each was renewed. */
class RotationLedger extends pulumi.dynamic.Resource {
    declare readonly state: pulumi.Output<RotationState>;

    constructor(
        name: string,
        request: RotationRequest,
        saved: pulumi.Input<SavedRotationOutputs>,
        opts: pulumi.CustomResourceOptions,
    ) {
        super(rotationLedgerProvider, name, { ...request, saved, state: undefined }, opts, undefined, "RotationLedger");
    }
}

/** The fully qualified name of the stack this program runs in, as a StackReference takes it. */
function ownStackName(): string {
    return `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
}

/**
 * The rotation outputs the stack's last saved outputs hold. The engine answers a StackReference with the outputs of
 * the latest saved snapshot (GetStackOutputs in pkg/backend/backend.go): during a run those are the previous run's,
 * since the root stack's outputs are written only when the run ends (deployment_executor.go), and on the stack's
 * first run there are none.
 */
function savedRotationOutputs(self: pulumi.StackReference): pulumi.Output<SavedRotationOutputs> {
    const names = Object.entries(ROTATION_OUTPUT_NAMES) as [keyof SavedRotationOutputs, string][];
    return pulumi
        .all(names.map(([, outputName]) => self.getOutput(outputName) as pulumi.Output<unknown>))
        .apply((values: unknown[]) => {
            const saved: Record<string, unknown> = {};
            names.forEach(([field], index) => {
                const value = values[index];
                const exported = field === "exported" ? wellFormedExportedSlot(value) : undefined;
                if (exported !== undefined) {
                    saved[field] = exported;
                } else if (field !== "exported" && isPeriodBoundary(value)) {
                    saved[field] = value;
                }
            });
            return saved as SavedRotationOutputs;
        });
}

/**
 * Saved outputs come back from the state file: a well-formed slot and generation, or undefined; a period or key digest
 * in any other form is left out, as if absent.
 */
function wellFormedExportedSlot(value: unknown): ExportedSlot | undefined {
    const candidate = value as Partial<ExportedSlot> | undefined;
    const { slot, generation, rotationDays, rotationKeyDigest } = candidate ?? {};
    if ((slot !== "a" && slot !== "b") || !Number.isInteger(generation) || generation! <= 0) return undefined;
    const days =
        Number.isInteger(rotationDays) && rotationDays! >= MIN_ROTATION_DAYS && rotationDays! <= MAX_ROTATION_DAYS;
    const digest =
        typeof rotationKeyDigest === "string" &&
        (/^[0-9a-f]{16}$/.test(rotationKeyDigest) || rotationKeyDigest === UNCOMMITTED_KEY_DIGEST);
    return {
        slot,
        generation: generation!,
        ...(days ? { rotationDays } : {}),
        ...(digest ? { rotationKeyDigest } : {}),
    };
}

/** ... and only dates in the form the rotation writes them: a period boundary, midnight UTC. */
function isPeriodBoundary(value: unknown): value is string {
    return typeof value === "string" && /^\d{4}-\d\d-\d\dT00:00:00Z$/.test(value) && !Number.isNaN(Date.parse(value));
}

/**
 * A client secret that rotates every `rotationDays` days with two overlapping slots. `value` is always the newest
 * secret and has at least one period left; the previous one stays valid until the next rotation.
 */
export class RotatingClientSecret extends pulumi.ComponentResource {
    /** The newest secret, always a Pulumi secret. */
    readonly value: pulumi.Output<string>;
    /** When the newest secret expires (ISO 8601). */
    readonly expiresAt: pulumi.Output<string>;
    /** From this instant the next `pulumi up` rotates (ISO 8601). */
    readonly nextRotationAt: pulumi.Output<string>;
    /** When the previous secret, the one the suite may still hold, expires (ISO 8601). */
    readonly previousExpiresAt: pulumi.Output<string | undefined>;
    /** The slot that holds `value` ("a" or "b"). */
    readonly exportedSlot: pulumi.Output<SlotName>;
    /** The slot and generation of `value`: index.ts exports it, and the next run reads it back. */
    readonly exported: pulumi.Output<ExportedSlot>;
    /** Key id of the newest secret (not secret): the name Graph's sign-in activity gives it. */
    readonly keyId: pulumi.Output<string>;
    /** Key id of the other slot's secret; before the first rotation that secret was never exported. */
    readonly previousKeyId: pulumi.Output<string>;

    constructor(name: string, args: RotatingClientSecretArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ucx-mail:index:RotatingClientSecret", name, {}, opts);

        // Validates secretRotationDays (2 · P within Entra's 24 months) before anything is declared.
        const request = rotationRequest(currentInstant(), args.rotationDays, args.rotationKey);
        const self = new pulumi.StackReference(`${name}-saved-outputs`, { name: ownStackName() }, { parent: this });
        const ledger = new RotationLedger(`${name}-ledger`, request, savedRotationOutputs(self), { parent: this });
        const state = ledger.state;

        const slot = (slotName: SlotName) => {
            const current = state.apply((s) => s.slots[slotName]);
            // Every input below changes only when this slot is renewed; endDate and rotateWhenChanged force the
            // replacement, which Pulumi does create-before-delete, so the old secret lives until the new one exists.
            return new azuread.ApplicationPassword(
                `${name}-slot-${slotName}`,
                {
                    applicationId: args.applicationId,
                    displayName: current.apply((s) => slotDisplayName(slotName, s)),
                    endDate: current.apply((s) => s.expiresAt),
                    rotateWhenChanged: current.apply((s) => ({ generation: String(s.generation) })),
                },
                { parent: this, additionalSecretOutputs: ["value"] },
            );
        };
        const slots: Record<SlotName, azuread.ApplicationPassword> = { a: slot("a"), b: slot("b") };

        // Export the state only once its newest slot holds that secret: an untargeted slot keeps its old outputs
        // (step_generator.go), and a throw here leaves the saved outputs as they were (runtime/stack.js).
        const held = pulumi.all([state, slots.a.rotateWhenChanged, slots.b.rotateWhenChanged]).apply(([s, a, b]) => {
            assertNewestSlotHeld(s, (s.newest === "a" ? a : b)?.generation);
            return s;
        });
        const summary = held.apply(summarizeRotation);
        this.exportedSlot = summary.apply((s) => s.exportedSlot);
        this.exported = summary.apply((s) => s.exported);
        this.value = pulumi.secret(
            pulumi
                .all([this.exportedSlot, slots.a.value, slots.b.value])
                .apply(([exported, a, b]) => (exported === "a" ? a : b)),
        );
        const keyIdOf = (newest: boolean) =>
            pulumi
                .all([this.exportedSlot, slots.a.keyId, slots.b.keyId])
                .apply(([exported, a, b]) => ((exported === "a") === newest ? a : b));
        this.keyId = keyIdOf(true);
        this.previousKeyId = keyIdOf(false);
        this.expiresAt = summary.apply((s) => s.expiresAt);
        this.nextRotationAt = summary.apply((s) => s.nextRotationAt);
        this.previousExpiresAt = summary.apply((s): string | undefined => s.previousExpiresAt);

        this.registerOutputs({
            value: this.value,
            expiresAt: this.expiresAt,
            nextRotationAt: this.nextRotationAt,
            previousExpiresAt: this.previousExpiresAt,
            exportedSlot: this.exportedSlot,
            exported: this.exported,
            keyId: this.keyId,
            previousKeyId: this.previousKeyId,
        });
    }
}
