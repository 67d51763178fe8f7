// The whole program under Pulumi's mocks, run again and again on one carried stack state at chosen instants:
// the declared ApplicationPassword slots must rotate the way the rotation model says, and the secret stays secret.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DAY_MS, periodIndex, periodStartMs, rotationKeyDigest } from "../../components/rotationSchedule";
import { guidFrom } from "../support/fakeTenant";
import { MockStackState, ofType, ProgramFailure, runProgram, type ProgramRun } from "../support/program";

const PASSWORD = "azuread:index/applicationPassword:ApplicationPassword";
const APPLICATION = "azuread:index/application:Application";
const MAILBOXES = ["fax-notifications@contoso.com"];
const SLOT_NAMES = { a: "ucx-mail-secret-slot-a", b: "ucx-mail-secret-slot-b" } as const;
type Slot = keyof typeof SLOT_NAMES;

interface Observed {
    readonly run: ProgramRun;
    readonly now: number;
    /** The inputs each slot was declared with: what decides whether the engine replaces it. */
    readonly slots: Record<Slot, Record<string, unknown>>;
    /** The slot whose secret the stack exports. */
    readonly exported: Slot;
}

/** The value the mock provider gives a password declared with these inputs (see test/support/program.ts). */
function mockValueOf(name: string, inputs: Record<string, unknown>): string {
    return `mock-secret-value-${guidFrom(`${name}/${JSON.stringify(inputs)}/key`)}`;
}

async function up(
    state: MockStackState,
    now: number,
    config: Record<string, unknown>,
    preview = false,
): Promise<Observed> {
    const run = await runProgram({ mailboxes: MAILBOXES, ...config }, { now: new Date(now), state, preview });
    const passwords = ofType(run, PASSWORD);
    assert.deepEqual(passwords.map((p) => p.name).sort(), [SLOT_NAMES.a, SLOT_NAMES.b]);
    const inputsOf = (slot: Slot) => passwords.find((p) => p.name === SLOT_NAMES[slot])!.inputs;
    const slots = { a: inputsOf("a"), b: inputsOf("b") };
    const secret = String(run.outputs.clientSecret);
    const exported = (["a", "b"] as const).filter((slot) => mockValueOf(SLOT_NAMES[slot], slots[slot]) === secret);
    if (!preview) assert.equal(exported.length, 1, "the exported secret is the value of exactly one slot");
    return { run, now, slots, exported: exported[0] ?? "a" };
}

function changedSlots(before: Observed, after: Observed): Slot[] {
    return (["a", "b"] as const).filter(
        (slot) => JSON.stringify(before.slots[slot]) !== JSON.stringify(after.slots[slot]),
    );
}

function assertHealthy(observed: Observed, rotationDays: number): void {
    const { run, now, slots, exported } = observed;
    const periodMs = rotationDays * DAY_MS;
    const expiresAt = Date.parse(String(run.outputs.clientSecretExpiresAt));
    const nextRotationAt = Date.parse(String(run.outputs.nextSecretRotationAt));
    const previousExpiresAt = Date.parse(String(run.outputs.previousSecretExpiresAt));
    assert.equal(slots[exported].endDate, run.outputs.clientSecretExpiresAt, "clientSecretExpiresAt is its endDate");
    assert.ok(expiresAt - now >= periodMs, "the exported secret has at least one period left");
    assert.ok(previousExpiresAt >= nextRotationAt, "the previous secret is valid until the next rotation");
    assert.equal(nextRotationAt, periodStartMs(periodIndex(now, rotationDays) + 1, rotationDays));
    for (const slot of ["a", "b"] as const) {
        const endDate = String(slots[slot].endDate);
        assert.match(endDate, /^\d{4}-\d\d-\d\dT00:00:00Z$/, "RFC 3339 without fractions, as Entra stores it");
        assert.equal(Date.parse(endDate) % periodMs, 0, "end dates sit on period boundaries");
        assert.equal(slots[slot].endDateRelative, undefined);
        assert.deepEqual(Object.keys(slots[slot].rotateWhenChanged as object), ["generation"]);
        assert.match(String(slots[slot].displayName), new RegExp(`^ucx-mail slot ${slot} gen \\d+ until `));
    }
    assert.ok(run.secretOutputs.has("clientSecret"), "clientSecret is a Pulumi secret");
    const plain = Object.entries(run.outputs)
        .filter(([name]) => !run.secretOutputs.has(name))
        .map(([, value]) => JSON.stringify(value ?? null))
        .join("\n");
    assert.ok(!plain.includes("mock-secret-value-"), "no secret value in a plain output");
}

/**
 * Runs the program on one stack state at the given days of `periods` consecutive periods, checks every promise of the
 * rotation model between consecutive runs, and returns how many runs rotated.
 */
async function simulate(
    rotationDays: number,
    firstPeriod: number,
    periods: number,
    days: readonly number[],
    keyAt: (instant: number) => string,
): Promise<number> {
    const state = new MockStackState();
    let previous: Observed | undefined;
    let previousKey = "";
    let rotations = 0;
    for (let period = firstPeriod; period < firstPeriod + periods; period++) {
        for (const day of days) {
            const instant = periodStartMs(period, rotationDays) + day * DAY_MS + 9 * 3600_000;
            const key = keyAt(instant);
            const current = await up(state, instant, { secretRotationDays: rotationDays, secretRotationKey: key });
            assertHealthy(current, rotationDays);
            if (previous !== undefined) {
                const crossed = periodIndex(instant, rotationDays) > periodIndex(previous.now, rotationDays);
                const changed = changedSlots(previous, current);
                const ledgerStep = current.run.resources.find((r) => r.name === "ucx-mail-secret-ledger")?.step;
                if (!crossed && key === previousKey) {
                    assert.deepEqual(changed, [], `no churn inside a period (${new Date(instant).toISOString()})`);
                    assert.equal(ledgerStep, "same", "the ledger is left alone too");
                    assert.equal(current.run.outputs.clientSecret, previous.run.outputs.clientSecret);
                } else {
                    rotations++;
                    assert.equal(ledgerStep, "update");
                    const notInUse = previous.exported === "a" ? "b" : "a";
                    assert.deepEqual(changed, [notInUse], `only the slot not in use is replaced at ${instant}`);
                    assert.equal(current.exported, notInUse, "and the new secret is the one exported");
                    assert.notEqual(current.run.outputs.clientSecret, previous.run.outputs.clientSecret);
                    assert.ok(
                        Date.parse(String(previous.slots[previous.exported].endDate)) >=
                            Date.parse(String(current.run.outputs.nextSecretRotationAt)),
                        "the secret in use before stays valid until the next rotation",
                    );
                }
            }
            previous = current;
            previousKey = key;
        }
    }
    return rotations;
}

describe("the program's client secret slots across simulated periods", () => {
    const P = 30;
    const q = periodIndex(Date.UTC(2026, 10, 26), P);
    const at = (period: number, day: number) => periodStartMs(period, P) + day * DAY_MS + 9 * 3600_000;
    const config = { secretRotationDays: P };

    it("declares both slots on the app registration, each with an explicit end date from the schedule", async () => {
        const first = await up(new MockStackState(), at(q, 3), config);
        const app = ofType(first.run, APPLICATION)[0];
        for (const slot of ["a", "b"] as const) assert.equal(first.slots[slot].applicationId, app.id);
        assert.equal(first.exported, q % 2 === 0 ? "a" : "b", "the schedule renews a in even periods, b in odd");
        assert.equal(
            first.slots[first.exported].endDate,
            new Date(periodStartMs(q + 2, P)).toISOString().replace(".000Z", "Z"),
        );
        assertHealthy(first, P);
    });

    it("changes nothing inside a period, rotates exactly one slot per boundary, and honours a forced rotation", async () => {
        // A forced rotation in the middle of period q+5 and another at the first run of period q+9.
        const keyAt = (instant: number) =>
            instant >= at(q + 9, 0) ? "second" : instant >= at(q + 5, 11) ? "first" : "";
        const rotations = await simulate(P, q, 14, [0, 11, 29], keyAt);
        assert.equal(rotations, 13 + 1, "one per boundary, plus the mid-period force (the other fell on a boundary)");
    });

    for (const rotationDays of [7, 365]) {
        it(`keeps the same promises with secretRotationDays = ${rotationDays}`, async () => {
            const first = periodIndex(Date.UTC(2027, 2, 1), rotationDays);
            const forcedAt = periodStartMs(first + 2, rotationDays) + 3 * DAY_MS;
            const rotations = await simulate(rotationDays, first, 5, [1, 5], (instant) =>
                instant >= forcedAt ? "forced" : "",
            );
            assert.equal(rotations, 4 + 1);
        });
    }

    it("shows in a preview exactly the slot the update then replaces, without advancing the stack", async () => {
        const state = new MockStackState();
        const before = await up(state, at(q, 2), config);
        const preview = await up(state, at(q + 1, 1), config, true);
        assert.deepEqual(changedSlots(before, preview), [before.exported === "a" ? "b" : "a"]);
        const sameAgain = await up(state, at(q, 20), config);
        assert.deepEqual(changedSlots(before, sameAgain), [], "the preview left the stack state as it was");
        const update = await up(state, at(q + 1, 1), config);
        assert.deepEqual(update.slots, preview.slots);
    });

    it("exports the slot and generation it committed, and the next run reads them back", async () => {
        const state = new MockStackState();
        const first = await up(state, at(q, 2), config);
        assert.ok(!first.run.secretOutputs.has("clientSecretSlot"), "a plain output");
        const generation = Number((first.slots[first.exported].rotateWhenChanged as { generation: string }).generation);
        // With the period and key digest it had applied (a digest, never the key), for a ledger rebuilt from them.
        const applied = { rotationDays: P, rotationKeyDigest: rotationKeyDigest("") };
        assert.deepEqual(first.run.outputs.clientSecretSlot, { slot: first.exported, generation, ...applied });
        const ledger = state.dynamic.get("ucx-mail-secret-ledger")!;
        assert.deepEqual(ledger.inputs.saved, {}, "the stack's first run finds no saved outputs");
        const rotated = await up(state, at(q + 1, 2), config);
        assert.deepEqual(state.dynamic.get("ucx-mail-secret-ledger")!.inputs.saved, {
            exported: { slot: first.exported, generation, ...applied },
            expiresAt: first.run.outputs.clientSecretExpiresAt,
            nextRotationAt: first.run.outputs.nextSecretRotationAt,
            previousExpiresAt: first.run.outputs.previousSecretExpiresAt,
        });
        assert.deepEqual(rotated.run.outputs.clientSecretSlot, {
            slot: rotated.exported,
            generation: generation + 1,
            ...applied,
        });
    });

    it("reads back only a well-formed slot: a malformed period or key digest is dropped, a malformed slot entirely", async () => {
        const state = new MockStackState();
        const first = await up(state, at(q, 2), config);
        const exported = first.run.outputs.clientSecretSlot as { slot: string; generation: number };
        const savedSlot = () => state.dynamic.get("ucx-mail-secret-ledger")!.inputs.saved.exported;
        state.outputs = {
            ...first.run.outputs,
            clientSecretSlot: { ...exported, rotationDays: 3, rotationKeyDigest: "$(Remove-Item *)" },
        };
        await up(state, at(q, 3), config);
        assert.deepEqual(savedSlot(), { slot: exported.slot, generation: exported.generation });
        state.outputs = { ...first.run.outputs, clientSecretSlot: { ...exported, slot: "c" } };
        await up(state, at(q, 4), config);
        assert.equal(savedSlot(), undefined);
    });

    it("after a rotating run whose outputs were never saved, renews the other slot instead of the suite's", async () => {
        const state = new MockStackState();
        const committed = await up(state, at(q, 2), config);
        // The rotating run's ledger step completed, its slot step failed: the engine kept the old outputs.
        await up(state, at(q + 1, 2), config);
        state.outputs = { ...committed.run.outputs };
        const lowered = await up(state, at(q + 1, 3), { secretRotationDays: 10 });
        assert.deepEqual(lowered.slots[committed.exported], committed.slots[committed.exported], "the suite's slot");
        assert.notEqual(lowered.exported, committed.exported);
        const forced = await up(state, at(q + 1, 4), { secretRotationDays: 10, secretRotationKey: "forced" });
        assert.deepEqual(forced.slots[lowered.exported], lowered.slots[lowered.exported], "the newly exported slot");
    });

    it("repairs a stack whose outputs predate clientSecretSlot and whose ledger went ahead", async () => {
        const state = new MockStackState();
        const committed = await up(state, at(q, 2), config);
        await up(state, at(q + 1, 2), config);
        const { clientSecretSlot: _dropped, ...older } = committed.run.outputs;
        state.outputs = older;
        const forced = await up(state, at(q + 1, 3), { ...config, secretRotationKey: "forced" });
        assert.deepEqual(forced.slots[committed.exported], committed.slots[committed.exported], "the suite's slot");
        const generation = Number(
            (committed.slots[committed.exported].rotateWhenChanged as { generation: string }).generation,
        );
        assert.deepEqual(forced.run.outputs.clientSecretSlot, {
            slot: forced.exported,
            generation: generation + 1,
            rotationDays: P,
            rotationKeyDigest: rotationKeyDigest("forced"),
        });
    });

    it("accepts secretRotationKey stored as a secret and keeps its value out of the state and the outputs", async () => {
        const state = new MockStackState();
        const first = await up(state, at(q, 2), config);
        const key = "Zq8#forced-rotation-2026";
        const run = await runProgram(
            { mailboxes: MAILBOXES, ...config, secretRotationKey: key },
            { now: new Date(at(q, 3)), state, secretKeys: ["secretRotationKey"] },
        );
        const slots = ofType(run, PASSWORD);
        const exported = run.outputs.clientSecretSlot as { slot: Slot; generation: number };
        assert.notEqual(exported.slot, first.exported, "the forced rotation happened");
        const everything = JSON.stringify([run.outputs, run.resources.map((r) => r.inputs), [...state.dynamic]]);
        assert.ok(!everything.includes(key), "only a digest of the key is kept");
        assert.equal(slots.length, 2);
    });

    it("uses the real clock when no instant is injected", async () => {
        const run = await runProgram({ mailboxes: MAILBOXES, secretRotationDays: 7 });
        const expiresAt = Date.parse(String(run.outputs.clientSecretExpiresAt));
        assert.ok(expiresAt - Date.now() >= 7 * DAY_MS - 60_000 && expiresAt - Date.now() <= 14 * DAY_MS);
    });

    it("refuses a period whose double exceeds Entra's 24 months before declaring anything", async () => {
        await assert.rejects(
            runProgram({ mailboxes: MAILBOXES, secretRotationDays: 400 }),
            (error: unknown) =>
                error instanceof ProgramFailure &&
                error.message.includes("secretRotationDays") &&
                error.declared.length === 0,
        );
    });
});
