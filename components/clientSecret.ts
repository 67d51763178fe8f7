// The app registration's client secret, rotated through ordinary `pulumi up` runs with no outage: two
// ApplicationPassword slots that take turns, and a small ledger in the stack state that remembers which slot is
// newest. The rotation rules live in rotationSchedule.ts; this file only turns them into resources.

import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import {
    advanceRotation,
    currentInstant,
    rotationRequest,
    sameRotationState,
    slotDisplayName,
    summarizeRotation,
    type RotationRequest,
    type RotationState,
    type SlotName,
} from "./rotationSchedule";

export interface RotatingClientSecretArgs {
    /** The app registration's Pulumi id, "/applications/<objectId>". */
    readonly applicationId: pulumi.Input<string>;
    /** Rotation period P in days (secretRotationDays). */
    readonly rotationDays: number;
    /** Changing it forces a rotation now (secretRotationKey). */
    readonly rotationKey: string;
}

/** The ledger's inputs as the engine hands them back; `state` is what the previous run decided, if anything. */
interface LedgerInputs extends RotationRequest {
    readonly state?: RotationState;
}

// Captured by value when Pulumi serializes the provider below, so the deployed ledger runs exactly this code.
const advance = advanceRotation;
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
        return { inputs: { ...news, state: advance(olds.state, request) } };
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

    constructor(name: string, request: RotationRequest, opts: pulumi.CustomResourceOptions) {
        super(rotationLedgerProvider, name, { ...request, state: undefined }, opts, undefined, "RotationLedger");
    }
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
    /** Key id of the newest secret (not secret): the name Graph's sign-in activity gives it. */
    readonly keyId: pulumi.Output<string>;
    /** Key id of the other slot's secret; before the first rotation that secret was never exported. */
    readonly previousKeyId: pulumi.Output<string>;

    constructor(name: string, args: RotatingClientSecretArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ucx-mail:index:RotatingClientSecret", name, {}, opts);

        // Validates secretRotationDays (2 · P within Entra's 24 months) before anything is declared.
        const request = rotationRequest(currentInstant(), args.rotationDays, args.rotationKey);
        const ledger = new RotationLedger(`${name}-ledger`, request, { parent: this });
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

        const summary = state.apply(summarizeRotation);
        this.exportedSlot = summary.apply((s) => s.exportedSlot);
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
            keyId: this.keyId,
            previousKeyId: this.previousKeyId,
        });
    }
}
