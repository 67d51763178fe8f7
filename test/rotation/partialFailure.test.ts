// Rotation under partial failure: RotatingClientSecret run again and again through engineHarness.ts, where any step
// can fail and the engine keeps what it saved. The suite holds the secret the stack's saved outputs export; that
// secret must survive every run until a later run has exported a newer one.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
    DAY_MS,
    periodIndex,
    sameRotationState,
    type ExportedSlot,
    type SlotName,
} from "../../components/rotationSchedule";
import {
    EngineStack,
    FakeApplication,
    LEDGER,
    runUpdate,
    SLOT_RESOURCES,
    STEPS,
    type RunPlan,
    type RunResult,
    type StepName,
} from "./engineHarness";

/** The config and clock of the next run, and the tenant's policy. */
interface Settings {
    nowMs: number;
    rotationDays: number;
    rotationKey: string;
}

interface Observed {
    readonly plan: RunPlan;
    readonly result: RunResult;
    /** The secret the saved outputs exported when the run started: what the suite may hold. */
    readonly committedKeyId: string | undefined;
    readonly committedGeneration: number | undefined;
}

function exportedSlot(stack: EngineStack): ExportedSlot | undefined {
    return stack.outputs.clientSecretSlot as ExportedSlot | undefined;
}

/** Runs once and checks what must hold after every run, whatever failed. */
async function checkedRun(stack: EngineStack, app: FakeApplication, plan: RunPlan): Promise<Observed> {
    const committed = app.byValue(stack.outputs.clientSecret);
    if (stack.outputs.clientSecret !== undefined) assert.ok(committed, "the exported secret exists when a run starts");
    const committedGeneration = committed && generationOf(stack, committed.keyId);
    const result = await runUpdate(stack, app, plan);
    const context = `${JSON.stringify(plan, (_key, v: unknown) => (v instanceof Set ? [...v] : v))} → ${result.errors}`;

    if (committed !== undefined) {
        assert.ok(!result.replacedKeyIds.includes(committed.keyId), `the suite's secret was replaced: ${context}`);
        assert.ok(!stack.pendingDeletes.includes(committed.keyId), `the suite's secret is to be deleted: ${context}`);
        assert.ok(app.secrets.has(committed.keyId), `the suite's secret was deleted: ${context}`);
        assert.ok(result.replacedKeyIds.length <= 1, `at most one slot is renewed per run: ${context}`);
    }
    const nowExported = app.byValue(stack.outputs.clientSecret);
    if (stack.outputs.clientSecret !== undefined) {
        assert.ok(nowExported, `the saved outputs export a secret that exists: ${context}`);
        assert.ok(!stack.pendingDeletes.includes(nowExported.keyId), `and that is not to be deleted: ${context}`);
        const slot = exportedSlot(stack)!;
        assert.equal(stack.resources.get(SLOT_RESOURCES[slot.slot])?.outputs.keyId, nowExported.keyId, context);
        assert.equal(generationOf(stack, nowExported.keyId), slot.generation, context);
    }
    if (committed !== undefined && nowExported !== undefined && nowExported.keyId !== committed.keyId) {
        assert.equal(exportedSlot(stack)!.generation, committedGeneration! + 1, `one rotation, not two: ${context}`);
        assert.equal(stack.outputs.previousSecretExpiresAt, committed.endDate, "the suite's secret is the previous");
        assert.notEqual(exportedSlot(stack)!.slot, slotHolding(stack, committed.keyId), context);
    }
    return { plan, result, committedKeyId: committed?.keyId, committedGeneration };
}

/** The generation of the secret with this key id, from the inputs its slot was created with. */
function generationOf(stack: EngineStack, keyId: string): number | undefined {
    const slot = slotHolding(stack, keyId);
    return slot === undefined
        ? undefined
        : Number(stack.resources.get(SLOT_RESOURCES[slot])!.inputs.rotateWhenChanged.generation);
}

function slotHolding(stack: EngineStack, keyId: string): SlotName | undefined {
    return (["a", "b"] as const).find((slot) => stack.resources.get(SLOT_RESOURCES[slot])?.outputs.keyId === keyId);
}

function fitsPolicy(app: FakeApplication, rotationDays: number): boolean {
    return app.maxLifetimeDays === undefined || 2 * rotationDays <= app.maxLifetimeDays;
}

/** A run with nothing injected that fits the policy succeeds, and a second one at once changes nothing. */
async function assertConverges(stack: EngineStack, app: FakeApplication, settings: Settings): Promise<void> {
    const first = await checkedRun(stack, app, settings);
    assert.ok(first.result.succeeded, `a run that fits the tenant's policy succeeds: ${first.result.errors}`);
    const outputs = JSON.stringify(stack.outputs);
    const ledger = stack.ledgerState();
    const again = await checkedRun(stack, app, settings);
    assert.ok(again.result.succeeded);
    assert.deepEqual(again.result.replacedKeyIds, [], "converged: the next run replaces nothing");
    assert.equal(JSON.stringify(stack.outputs), outputs, "and exports the same");
    assert.ok(sameRotationState(stack.ledgerState(), ledger));
}

interface RunEvent {
    readonly advanceDays: number;
    readonly rotationDays: number | undefined;
    readonly forceRotation: boolean;
    readonly failing: readonly StepName[];
    /** The ledger loses its state before the run: `pulumi state delete`, or `pulumi up --replace` of it. */
    readonly loseLedger: "state-delete" | "replace" | undefined;
    /** The run is stopped after its steps and before it writes the outputs (cancel, crash). */
    readonly stopsBeforeEnd: boolean;
}

const PERIODS = [30, 45, 90, 180] as const;
const runEvent: fc.Arbitrary<RunEvent> = fc.record({
    advanceDays: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 20, max: 200 })),
    rotationDays: fc.option(fc.constantFrom(...PERIODS), { nil: undefined, freq: 3 }),
    forceRotation: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    failing: fc.oneof(fc.constant<StepName[]>([]), fc.subarray([...STEPS], { minLength: 1 })),
    // Rare, as in real use, so that most sequences still test the plain re-run after a failure.
    loseLedger: fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 8 },
        { arbitrary: fc.constantFrom("state-delete" as const, "replace" as const), weight: 1 },
    ),
    stopsBeforeEnd: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
});
const plainRerunEvent: fc.Arbitrary<RunEvent> = fc.record({
    advanceDays: fc.constantFrom(0, 1),
    rotationDays: fc.constant(undefined),
    forceRotation: fc.constant(false),
    failing: fc.constant<StepName[]>([]),
    loseLedger: fc.constant(undefined),
    stopsBeforeEnd: fc.constant(false),
});
const scenario = fc.record({
    startDay: fc.integer({ min: 0, max: 729 }),
    initialDays: fc.constantFrom(...PERIODS),
    policyDays: fc.constantFrom(undefined, 90, 180),
    // Plain re-runs (what an admin does after a failure) are drawn as often as other runs, so that the guarantee
    // about them is checked in many sequences, not by chance.
    events: fc.array(fc.oneof(runEvent, plainRerunEvent), { minLength: 1, maxLength: 6 }),
});

describe("rotation under partial failure (engine harness)", () => {
    it("never replaces or deletes the exported secret before a newer one is exported, completes an interrupted rotation on a plain re-run, and converges once the period fits the policy", async () => {
        await fc.assert(
            fc.asyncProperty(scenario, async ({ startDay, initialDays, policyDays, events }) => {
                const stack = new EngineStack();
                const app = new FakeApplication();
                app.maxLifetimeDays = policyDays;
                const settings: Settings = {
                    nowMs: Date.UTC(2027, 0, 1, 9) + startDay * DAY_MS,
                    rotationDays: initialDays,
                    rotationKey: "",
                };
                let previous: Observed | undefined;
                for (const [index, event] of events.entries()) {
                    const before = { ...settings };
                    settings.nowMs += event.advanceDays * DAY_MS;
                    if (event.rotationDays !== undefined) settings.rotationDays = event.rotationDays;
                    if (event.forceRotation) settings.rotationKey = `forced-${index}`;
                    if (event.loseLedger === "state-delete") stack.forgetLedger();
                    const replace = event.loseLedger === "replace" ? new Set(["ledger" as const]) : undefined;
                    const plan = {
                        ...settings,
                        failing: new Set(event.failing),
                        replace,
                        stopsBeforeEnd: event.stopsBeforeEnd,
                    };
                    const ahead = stack.ledgerState();
                    const observed = await checkedRun(stack, app, plan);

                    if (event.failing.length === 0 && !event.stopsBeforeEnd && fitsPolicy(app, settings.rotationDays)) {
                        assert.ok(
                            observed.result.succeeded,
                            `fits the policy, so it succeeds: ${observed.result.errors}`,
                        );
                    }
                    // A plain re-run in the period of a failed run that had moved the ledger on completes that very
                    // rotation: the same state, exported with the next generation.
                    const plainRerun =
                        event.loseLedger === undefined &&
                        previous !== undefined &&
                        !previous.result.succeeded &&
                        observed.result.succeeded &&
                        before.rotationDays === settings.rotationDays &&
                        before.rotationKey === settings.rotationKey &&
                        periodIndex(before.nowMs, settings.rotationDays) ===
                            periodIndex(settings.nowMs, settings.rotationDays);
                    const interrupted =
                        ahead !== undefined &&
                        previous?.committedGeneration !== undefined &&
                        ahead.slots[ahead.newest].generation > previous.committedGeneration &&
                        exportedSlot(stack) !== undefined;
                    if (plainRerun && interrupted && previous!.committedGeneration === observed.committedGeneration) {
                        assert.ok(
                            sameRotationState(stack.ledgerState(), ahead),
                            "the interrupted rotation, not another",
                        );
                        assert.equal(exportedSlot(stack)!.generation, previous!.committedGeneration! + 1);
                    }
                    previous = observed;
                }
                if (!fitsPolicy(app, settings.rotationDays)) settings.rotationDays = 45;
                await assertConverges(stack, app, settings);
            }),
            { numRuns: 25, seed: 16, endOnFailure: true },
        );
    });
});

describe("rotation under partial failure: the scenarios", () => {
    const P = 180;
    const firstRun = Date.UTC(2026, 10, 26, 9);
    const nextPeriod = Date.UTC(2027, 2, 10, 9);

    /** A stack deployed on firstRun whose next rotating run is refused by a new 90-day policy on the slot. */
    async function refusedRotation(): Promise<{ stack: EngineStack; app: FakeApplication; suiteKeyId: string }> {
        const stack = new EngineStack();
        const app = new FakeApplication();
        const first = await checkedRun(stack, app, { nowMs: firstRun, rotationDays: P, rotationKey: "" });
        assert.ok(first.result.succeeded);
        const suiteKeyId = app.byValue(stack.outputs.clientSecret)!.keyId;
        app.maxLifetimeDays = 90;
        const refused = await checkedRun(stack, app, { nowMs: nextPeriod, rotationDays: P, rotationKey: "" });
        assert.match(refused.result.errors.join("\n"), /CredentialInvalidLifetimeAsPerAppPolicy/);
        assert.equal(app.byValue(stack.outputs.clientSecret)?.keyId, suiteKeyId, "the outputs still export it");
        return { stack, app, suiteKeyId };
    }

    it("after a rotation refused by the tenant's policy, lowering secretRotationDays renews the other slot and converges", async () => {
        const { stack, app, suiteKeyId } = await refusedRotation();
        const lowered = { nowMs: nextPeriod + DAY_MS, rotationDays: 45, rotationKey: "" };
        const run = await checkedRun(stack, app, lowered);
        assert.ok(run.result.succeeded, run.result.errors.join("\n"));
        assert.ok(app.secrets.has(suiteKeyId), "the suite's secret is still there");
        assert.notEqual(app.byValue(stack.outputs.clientSecret)!.keyId, suiteKeyId, "and a newer one is exported");
        await assertConverges(stack, app, lowered);
    });

    it("after a refused rotation, a forced rotation renews the slot the suite does not use", async () => {
        const { stack, app, suiteKeyId } = await refusedRotation();
        app.maxLifetimeDays = undefined;
        const forced = { nowMs: nextPeriod + DAY_MS, rotationDays: P, rotationKey: "leaked" };
        const run = await checkedRun(stack, app, forced);
        assert.ok(run.result.succeeded);
        assert.ok(app.secrets.has(suiteKeyId));
        await assertConverges(stack, app, forced);
    });

    it("a plain re-run after the failure completes the interrupted rotation without a second one", async () => {
        const { stack, app, suiteKeyId } = await refusedRotation();
        const ahead = stack.ledgerState()!;
        app.maxLifetimeDays = undefined;
        const rerun = await checkedRun(stack, app, {
            nowMs: nextPeriod + 2 * DAY_MS,
            rotationDays: P,
            rotationKey: "",
        });
        assert.ok(rerun.result.succeeded);
        assert.equal(rerun.result.replacedKeyIds.length, 1);
        assert.ok(sameRotationState(stack.ledgerState(), ahead), "the rotation the failed run had started");
        assert.equal((stack.outputs.clientSecretSlot as ExportedSlot).generation, 3);
        assert.ok(app.secrets.has(suiteKeyId));
    });

    it("repairs a stack whose ledger went ahead before the outputs named the exported slot", async () => {
        const { stack, app, suiteKeyId } = await refusedRotation();
        // Outputs saved by a version without clientSecretSlot: only the dates tell which secret is exported.
        delete stack.outputs.clientSecretSlot;
        const ledger = stack.resources.get(LEDGER)!;
        stack.resources.set(LEDGER, { inputs: { ...ledger.inputs, saved: undefined }, outputs: ledger.outputs });
        const lowered = { nowMs: nextPeriod + DAY_MS, rotationDays: 45, rotationKey: "" };
        const run = await checkedRun(stack, app, lowered);
        assert.ok(run.result.succeeded, run.result.errors.join("\n"));
        assert.ok(app.secrets.has(suiteKeyId), "the suite's secret survived the repair");
        assert.equal((stack.outputs.clientSecretSlot as ExportedSlot).generation, 3, "one rotation, from gen 2");
        await assertConverges(stack, app, lowered);
    });

    it("protects a secret that a failed run exported: a failure the outputs do not depend on still saves them", async () => {
        const stack = new EngineStack();
        const app = new FakeApplication();
        await checkedRun(stack, app, { nowMs: firstRun, rotationDays: P, rotationKey: "" });
        const rotated = { nowMs: nextPeriod, rotationDays: P, rotationKey: "", failing: new Set(["later"] as const) };
        const failed = await checkedRun(stack, app, rotated);
        assert.equal(failed.result.succeeded, false);
        const exported = app.byValue(stack.outputs.clientSecret)!;
        assert.notEqual(exported.keyId, failed.committedKeyId, "the engine saved the new outputs over the old ones");
        const forced = await checkedRun(stack, app, { nowMs: nextPeriod + DAY_MS, rotationDays: P, rotationKey: "x" });
        assert.ok(forced.result.succeeded);
        assert.ok(app.secrets.has(exported.keyId), "the secret those outputs exported survives the forced rotation");
    });

    it("a stack reference read that fails never moves the ledger or renews a slot, even when a rotation is due", async () => {
        const stack = new EngineStack();
        const app = new FakeApplication();
        await checkedRun(stack, app, { nowMs: firstRun, rotationDays: P, rotationKey: "" });
        const ledger = stack.ledgerState();
        const outputs = JSON.stringify(stack.outputs);
        // A due rotation and a forced one: the run must still rotate nothing without the saved outputs.
        const due = {
            nowMs: nextPeriod,
            rotationDays: P,
            rotationKey: "forced",
            failing: new Set(["saved-outputs"] as const),
        };
        const failed = await checkedRun(stack, app, due);
        assert.equal(failed.result.succeeded, false);
        assert.match(failed.result.errors.join("\n"), /saved-outputs/);
        assert.ok(!failed.result.attempted.includes("ledger"), "the ledger waits for the saved outputs");
        assert.deepEqual(failed.result.replacedKeyIds, []);
        assert.ok(sameRotationState(stack.ledgerState(), ledger), "the ledger did not move");
        assert.equal(JSON.stringify(stack.outputs), outputs, "the outputs are as they were");
        await assertConverges(stack, app, { nowMs: nextPeriod, rotationDays: P, rotationKey: "forced" });
    });

    it("a targeted run after a failed rotation exports only a secret that exists, and the next run keeps it", async () => {
        const { stack, app, suiteKeyId } = await refusedRotation();
        app.maxLifetimeDays = undefined;
        // `pulumi up --target` of another resource (operations.md targets the MailApplication component this way).
        const targetedRun = {
            nowMs: nextPeriod + DAY_MS,
            rotationDays: P,
            rotationKey: "",
            targets: new Set(["later"] as const),
        };
        const targeted = await checkedRun(stack, app, targetedRun);
        assert.equal(targeted.result.succeeded, false, "the run refuses to export a slot it skipped");
        assert.match(
            targeted.result.errors.join("\n"),
            /slot [ab] should hold generation 3, but holds generation 1.*Fix: run pulumi up without --target/,
        );
        assert.equal(app.byValue(stack.outputs.clientSecret)?.keyId, suiteKeyId, "the outputs still export it");
        await assertConverges(stack, app, { nowMs: nextPeriod + DAY_MS, rotationDays: P, rotationKey: "" });
        assert.ok(app.secrets.has(suiteKeyId), "the suite's secret outlives the run that exported a newer one");
    });

    it("a ledger that lost its state (pulumi state delete, pulumi up --replace) is rebuilt from the outputs: no secret changes, and the next rotation is on time", async () => {
        for (const loss of ["state-delete", "replace"] as const) {
            const stack = new EngineStack();
            const app = new FakeApplication();
            await checkedRun(stack, app, { nowMs: firstRun, rotationDays: P, rotationKey: "" });
            // A forced rotation first, so the slots no longer follow the schedule's parity.
            const forced = { nowMs: firstRun + DAY_MS, rotationDays: P, rotationKey: "leaked" };
            assert.ok((await checkedRun(stack, app, forced)).result.succeeded);
            const outputs = JSON.stringify(stack.outputs);
            const keyIds = [...app.secrets.keys()];
            if (loss === "state-delete") stack.forgetLedger();
            const replace = loss === "replace" ? new Set(["ledger"] as const) : undefined;
            const run = await checkedRun(stack, app, { ...forced, nowMs: forced.nowMs + DAY_MS, replace });
            assert.ok(run.result.succeeded, `${loss}: ${run.result.errors.join("\n")}`);
            assert.deepEqual(run.result.replacedKeyIds, [], `${loss}: neither secret is replaced`);
            assert.deepEqual([...app.secrets.keys()], keyIds, loss);
            assert.equal(JSON.stringify(stack.outputs), outputs, `${loss}: the same exports`);
            const due = await checkedRun(stack, app, { ...forced, nowMs: nextPeriod });
            assert.equal(due.result.replacedKeyIds.length, 1, `${loss}: the scheduled rotation still comes`);
            assert.equal((stack.outputs.clientSecretSlot as ExportedSlot).generation, 4, loss);
        }
    });

    it("a forced rotation stopped before its outputs were written, then a lost ledger: a plain re-run still completes it", async () => {
        for (const loss of ["state-delete", "replace"] as const) {
            const stack = new EngineStack();
            const app = new FakeApplication();
            await checkedRun(stack, app, { nowMs: firstRun, rotationDays: P, rotationKey: "" });
            const leakedKeyId = app.byValue(stack.outputs.clientSecret)!.keyId;
            // The key changes because the secret leaked; the run renews the other slot, then is stopped.
            const forced = { nowMs: firstRun + DAY_MS, rotationDays: P, rotationKey: "leaked" };
            const stopped = await checkedRun(stack, app, { ...forced, stopsBeforeEnd: true });
            assert.equal(stopped.result.replacedKeyIds.length, 1, "the stopped run had renewed a slot");
            assert.equal(app.byValue(stack.outputs.clientSecret)!.keyId, leakedKeyId, "the outputs still export it");
            if (loss === "state-delete") stack.forgetLedger();
            const replace = loss === "replace" ? new Set(["ledger"] as const) : undefined;
            const rerun = await checkedRun(stack, app, { ...forced, nowMs: forced.nowMs + DAY_MS, replace });
            assert.ok(rerun.result.succeeded, `${loss}: ${rerun.result.errors.join("\n")}`);
            assert.notEqual(
                app.byValue(stack.outputs.clientSecret)!.keyId,
                leakedKeyId,
                `${loss}: a new secret is exported`,
            );
            assert.equal(
                (stack.outputs.clientSecretSlot as ExportedSlot).generation,
                3,
                `${loss}: one forced rotation`,
            );
            await assertConverges(stack, app, { ...forced, nowMs: forced.nowMs + DAY_MS });
        }
    });

    it("a first deployment refused by the policy converges in the run after secretRotationDays is lowered", async () => {
        const stack = new EngineStack();
        const app = new FakeApplication();
        app.maxLifetimeDays = 90;
        const refused = await checkedRun(stack, app, { nowMs: firstRun, rotationDays: P, rotationKey: "" });
        assert.equal(refused.result.succeeded, false);
        await assertConverges(stack, app, { nowMs: firstRun + DAY_MS, rotationDays: 45, rotationKey: "" });
    });
});
