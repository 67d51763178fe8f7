// The rotation arithmetic and state machine: properties over ten-plus years of simulated `pulumi up` runs with
// random period lengths, run times and forced rotations, plus the exact edges (boundaries, limits, the clock).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import {
    advanceRotation,
    assertNewestSlotHeld,
    assertRotationDays,
    committedRotationState,
    currentInstant,
    DAY_MS,
    MAX_ROTATION_DAYS,
    MIN_ROTATION_DAYS,
    otherSlot,
    periodIndex,
    periodStart,
    periodStartMs,
    rotationRequest,
    sameRotationState,
    savedOutputsOf,
    scheduledSlot,
    slotDisplayName,
    summarizeRotation,
    type RotationState,
    type SlotName,
} from "../../components/rotationSchedule";
import { SECRET_ROTATION_DAYS_RANGE } from "../../components/config";

const YEAR_MS = 365.25 * DAY_MS;

/** A small seeded generator, so that one fast-check seed describes a whole decade of runs. */
function mulberry32(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

interface Run {
    readonly at: number;
    readonly key: string;
}

/**
 * `pulumi up` runs over `years` years: one to three runs in every period (a weekly CI job never skips a period,
 * since P is at least 7 days), at random instants, with the key changed at a run with probability `forceRate`.
 */
function simulatedRuns(rotationDays: number, startMs: number, years: number, seed: number, forceRate: number): Run[] {
    const random = mulberry32(seed);
    const periodMs = rotationDays * DAY_MS;
    const first = periodIndex(startMs, rotationDays);
    const last = periodIndex(startMs + years * YEAR_MS, rotationDays);
    const runs: Run[] = [];
    let keyVersion = 0;
    for (let period = first; period <= last; period++) {
        const count = 1 + Math.floor(random() * 3);
        const offsets = Array.from({ length: count }, () => Math.floor(random() * periodMs)).sort((x, y) => x - y);
        for (const offset of offsets) {
            const at = Math.max(startMs, periodStartMs(period, rotationDays) + offset);
            if (random() < forceRate) keyVersion++;
            runs.push({ at, key: keyVersion === 0 ? "" : `forced-${keyVersion}` });
        }
    }
    return runs.sort((x, y) => x.at - y.at);
}

function slotChanged(before: RotationState, after: RotationState, slot: SlotName): boolean {
    return JSON.stringify(before.slots[slot]) !== JSON.stringify(after.slots[slot]);
}

interface Scenario {
    readonly rotationDays: number;
    readonly startMs: number;
    readonly seed: number;
    readonly forceRate: number;
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
    rotationDays: fc.integer({ min: 7, max: MAX_ROTATION_DAYS }),
    startMs: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) }),
    seed: fc.integer(),
    forceRate: fc.constantFrom(0, 0.05, 0.3),
});

/** Runs the state machine over a scenario and hands every step (before, after, the run) to `check`. */
function replay(
    { rotationDays, startMs, seed, forceRate }: Scenario,
    check: (step: { before?: RotationState; after: RotationState; run: Run; previousRun?: Run }) => void,
): void {
    let state: RotationState | undefined;
    let previousRun: Run | undefined;
    for (const run of simulatedRuns(rotationDays, startMs, 10.5, seed, forceRate)) {
        const after = advanceRotation(state, rotationRequest(new Date(run.at), rotationDays, run.key));
        check({ before: state, after, run, previousRun });
        state = after;
        previousRun = run;
    }
}

const PROPERTY_RUNS = { numRuns: 150 };

describe("rotation over ten years of simulated runs", () => {
    it("always exports a secret with at least one period left, ending on a period boundary", () => {
        fc.assert(
            fc.property(scenario, (s) => {
                const periodMs = s.rotationDays * DAY_MS;
                replay(s, ({ after, run }) => {
                    const summary = summarizeRotation(after);
                    const expires = Date.parse(summary.expiresAt);
                    assert.ok(expires - run.at >= periodMs, `exported secret ends ${summary.expiresAt}`);
                    assert.equal(expires % periodMs, 0, "end dates come from period boundaries");
                    assert.equal(Date.parse(summary.nextRotationAt) % periodMs, 0);
                    assert.ok(Date.parse(summary.nextRotationAt) > run.at, "the next rotation lies ahead");
                });
            }),
            PROPERTY_RUNS,
        );
    });

    it("keeps the previous secret valid until the next rotation", () => {
        fc.assert(
            fc.property(scenario, (s) => {
                replay(s, ({ after }) => {
                    const summary = summarizeRotation(after);
                    assert.ok(Date.parse(summary.previousExpiresAt) >= Date.parse(summary.nextRotationAt));
                });
            }),
            PROPERTY_RUNS,
        );
    });

    it("changes nothing inside a period while the key stays the same", () => {
        fc.assert(
            fc.property(scenario, (s) => {
                replay(s, ({ before, after, run, previousRun }) => {
                    if (before === undefined || previousRun === undefined) return;
                    const samePeriod =
                        periodIndex(run.at, s.rotationDays) === periodIndex(previousRun.at, s.rotationDays);
                    if (samePeriod && run.key === previousRun.key) assert.deepEqual(after, before);
                });
            }),
            PROPERTY_RUNS,
        );
    });

    it("replaces exactly one slot per boundary or forced rotation, never the one exported last", () => {
        fc.assert(
            fc.property(scenario, (s) => {
                replay(s, ({ before, after, run, previousRun }) => {
                    if (before === undefined || previousRun === undefined) return;
                    const crossed = periodIndex(run.at, s.rotationDays) > periodIndex(previousRun.at, s.rotationDays);
                    const forced = run.key !== previousRun.key;
                    const changed = (["a", "b"] as const).filter((slot) => slotChanged(before, after, slot));
                    if (!crossed && !forced) {
                        assert.deepEqual(changed, []);
                        return;
                    }
                    assert.deepEqual(changed, [otherSlot(before.newest)], "only the slot not in use is renewed");
                    assert.equal(after.newest, changed[0], "and it is the one exported");
                    assert.equal(
                        after.slots[after.newest].renewedInPeriod,
                        periodIndex(run.at, s.rotationDays),
                        "renewed in the period of the run",
                    );
                });
            }),
            PROPERTY_RUNS,
        );
    });

    it("never issues a secret that outlives Entra's 24-month limit", () => {
        fc.assert(
            fc.property(scenario, (s) => {
                replay(s, ({ before, after, run }) => {
                    for (const slot of ["a", "b"] as const) {
                        if (before !== undefined && !slotChanged(before, after, slot)) continue;
                        const lifetimeDays = (Date.parse(after.slots[slot].expiresAt) - run.at) / DAY_MS;
                        assert.ok(lifetimeDays <= 2 * s.rotationDays && lifetimeDays <= 730, `${lifetimeDays}`);
                    }
                });
            }),
            PROPERTY_RUNS,
        );
    });

    it("follows the schedule (a in even periods, b in odd) while no rotation is forced", () => {
        fc.assert(
            fc.property(scenario, (s) => {
                replay({ ...s, forceRate: 0 }, ({ after, run }) => {
                    const period = periodIndex(run.at, s.rotationDays);
                    assert.equal(after.newest, scheduledSlot(period));
                    assert.equal(after.slots[scheduledSlot(period)].renewedInPeriod, period);
                    assert.equal(after.slots[scheduledSlot(period + 1)].renewedInPeriod, period - 1);
                });
            }),
            PROPERTY_RUNS,
        );
    });

    it("never leaves the suite without a valid secret when the operator pastes each new one within a period", () => {
        fc.assert(
            fc.property(scenario, fc.integer(), (s, pasteSeed) => {
                const random = mulberry32(pasteSeed);
                let state: RotationState | undefined;
                // What the suite holds: a slot and the generation it had when it was pasted.
                let held: { slot: SlotName; generation: number } | undefined;
                let pending: { slot: SlotName; generation: number; at: number } | undefined;
                let key = "";
                let forced = 0;
                const runs = simulatedRuns(s.rotationDays, s.startMs, 10.5, s.seed, 0);
                for (const run of runs) {
                    if (pending !== undefined && pending.at <= run.at) {
                        assertStillHeld(state!, held, pending.at);
                        held = { slot: pending.slot, generation: pending.generation };
                        pending = undefined;
                    }
                    // The operator forces a rotation only while the suite holds the exported secret (as documented).
                    if (pending === undefined && held !== undefined && random() < s.forceRate) key = `f${++forced}`;
                    const before = state;
                    state = advanceRotation(state, rotationRequest(new Date(run.at), s.rotationDays, key));
                    assertStillHeld(state, held, run.at);
                    if (before === undefined || before.newest !== state.newest) {
                        const exported = state.slots[state.newest];
                        const deadline = Date.parse(state.nextRotationAt);
                        const at = run.at + Math.floor(random() * (deadline - run.at));
                        pending = { slot: state.newest, generation: exported.generation, at };
                    }
                }
            }),
            PROPERTY_RUNS,
        );

        function assertStillHeld(
            state: RotationState,
            held: { slot: SlotName; generation: number } | undefined,
            at: number,
        ): void {
            if (held === undefined) return;
            const slot = state.slots[held.slot];
            assert.equal(slot.generation, held.generation, "the secret the suite holds was replaced");
            assert.ok(Date.parse(slot.expiresAt) > at, "the secret the suite holds expired");
        }
    });
});

describe("forced rotation", () => {
    const P = 30;
    const t0 = Date.UTC(2026, 10, 26, 9, 0, 0);
    const initial = advanceRotation(undefined, rotationRequest(new Date(t0), P, ""));

    it("renews the slot not in use now, exports it, and shifts the schedule so it is not replaced next", () => {
        const forced = advanceRotation(initial, rotationRequest(new Date(t0 + DAY_MS), P, "rotate-now"));
        const q = periodIndex(t0, P);
        assert.equal(forced.newest, otherSlot(initial.newest));
        assert.deepEqual(forced.slots[initial.newest], initial.slots[initial.newest]);
        assert.equal(forced.slots[forced.newest].expiresAt, periodStart(q + 2, P));
        assert.equal(forced.slots[forced.newest].generation, 3);
        // The next boundary renews the slot exported before the force, not the forced one.
        const next = advanceRotation(forced, rotationRequest(new Date(periodStartMs(q + 1, P) + 1), P, "rotate-now"));
        assert.equal(next.newest, initial.newest);
        assert.deepEqual(next.slots[forced.newest], forced.slots[forced.newest]);
        assert.equal(next.slots[next.newest].expiresAt, periodStart(q + 3, P));
    });

    it("counts a key change at the first run of a new period as that period's one rotation", () => {
        const q = periodIndex(t0, P);
        const next = advanceRotation(initial, rotationRequest(new Date(periodStartMs(q + 1, P) + 5), P, "new-key"));
        assert.equal(next.newest, otherSlot(initial.newest));
        assert.deepEqual(next.slots[initial.newest], initial.slots[initial.newest]);
        const again = advanceRotation(next, rotationRequest(new Date(periodStartMs(q + 1, P) + DAY_MS), P, "new-key"));
        assert.deepEqual(again, next);
    });

    it("rotates once when secretRotationDays changes, then follows the new period", () => {
        const changed = advanceRotation(initial, rotationRequest(new Date(t0 + DAY_MS), 60, ""));
        assert.equal(changed.newest, otherSlot(initial.newest));
        assert.equal(changed.rotationDays, 60);
        assert.equal(Date.parse(changed.slots[changed.newest].expiresAt) % (60 * DAY_MS), 0);
        assert.deepEqual(advanceRotation(changed, rotationRequest(new Date(t0 + 2 * DAY_MS), 60, "")), changed);
    });
});

describe("the state a run advances from", () => {
    const P = 30;
    const t0 = Date.UTC(2026, 10, 26, 9, 0, 0);
    const committed = advanceRotation(undefined, rotationRequest(new Date(t0), P, ""));
    // A rotating run whose ledger step completed and whose slot step failed.
    const ahead = advanceRotation(committed, rotationRequest(new Date(t0 + P * DAY_MS), P, ""));
    const { exported: _exported, ...withoutSlot } = savedOutputsOf(committed);

    it("is the ledger while the saved outputs export the ledger's newest secret", () => {
        assert.equal(committedRotationState(committed, savedOutputsOf(committed)), committed);
        assert.equal(committedRotationState(committed, withoutSlot), committed, "outputs from before clientSecretSlot");
        assert.equal(committedRotationState(undefined, savedOutputsOf(committed)), undefined, "no ledger, no request");
    });

    it("is rebuilt from the saved outputs when the ledger lost its state, so neither secret changes and nothing rotates early", () => {
        // A stack that rotated twice (one forced), so the slots no longer follow the schedule's parity.
        const forced = advanceRotation(ahead, rotationRequest(new Date(t0 + P * DAY_MS + DAY_MS), P, "forced"));
        for (const lost of [committed, ahead, forced]) {
            // A run the day before the next rotation, under the key the lost ledger had seen.
            const dayBefore = rotationRequest(new Date(Date.parse(lost.nextRotationAt) - DAY_MS), P, "");
            const request = { ...dayBefore, rotationKeyDigest: lost.rotationKeyDigest };
            const rebuilt = committedRotationState(undefined, savedOutputsOf(lost), request)!;
            assert.equal(rebuilt.newest, lost.newest);
            for (const slot of ["a", "b"] as const) {
                assert.equal(rebuilt.slots[slot].generation, lost.slots[slot].generation, slot);
                assert.equal(rebuilt.slots[slot].expiresAt, lost.slots[slot].expiresAt, slot);
            }
            assert.ok(sameRotationState(advanceRotation(rebuilt, request), rebuilt), "no rotation before it is due");
            const due = rotationRequest(new Date(Date.parse(lost.nextRotationAt)), P, "");
            const rotated = advanceRotation(rebuilt, { ...due, rotationKeyDigest: lost.rotationKeyDigest });
            assert.notEqual(rotated.newest, lost.newest, "and the due rotation renews the other slot");
        }
        assert.equal(committedRotationState(undefined, withoutSlot, rotationRequest(new Date(t0), P, "")), undefined);
    });

    it("a rebuilt ledger still sees a key or period changed since the export, and counts older outputs as this run's", () => {
        const dayAfter = new Date(t0 + DAY_MS);
        const saved = savedOutputsOf(committed);
        const sameKey = rotationRequest(dayAfter, P, "");
        assert.ok(
            sameRotationState(
                advanceRotation(committedRotationState(undefined, saved, sameKey), sameKey),
                committedRotationState(undefined, saved, sameKey),
            ),
        );
        for (const changed of [rotationRequest(dayAfter, P, "leaked"), rotationRequest(dayAfter, 2 * P, "")]) {
            const rotated = advanceRotation(committedRotationState(undefined, saved, changed), changed);
            assert.notEqual(rotated.newest, committed.newest, "the change rotates once, renewing the other slot");
            assert.deepEqual(rotated.slots[committed.newest], committed.slots[committed.newest]);
        }
        const { rotationDays: _days, rotationKeyDigest: _digest, ...olderSlot } = saved.exported!;
        const older = { ...saved, exported: olderSlot };
        const leaked = rotationRequest(dayAfter, P, "leaked");
        assert.equal(
            advanceRotation(committedRotationState(undefined, older, leaked), leaked).newest,
            committed.newest,
        );
    });

    it("is what the outputs committed when the ledger went ahead, so the suite's slot stays the newest", () => {
        for (const saved of [savedOutputsOf(committed), withoutSlot]) {
            const from = committedRotationState(ahead, saved)!;
            assert.equal(from.newest, committed.newest);
            assert.deepEqual(from.slots, committed.slots, "both slots as the outputs show them");
            assert.equal(from.nextRotationAt, committed.nextRotationAt);
        }
    });

    it("redoes the interrupted rotation exactly, whatever the run asks for", () => {
        const from = committedRotationState(ahead, savedOutputsOf(committed));
        assert.deepEqual(advanceRotation(from, rotationRequest(new Date(t0 + P * DAY_MS + DAY_MS), P, "")), ahead);
        const lowered = advanceRotation(from, rotationRequest(new Date(t0 + P * DAY_MS + DAY_MS), 10, ""));
        assert.equal(lowered.newest, ahead.newest, "a new period renews the same slot, not the suite's");
        assert.deepEqual(lowered.slots[committed.newest], committed.slots[committed.newest]);
    });

    it("lays the slots out afresh when no run has saved outputs, and keeps the ledger when they name neither slot", () => {
        assert.equal(committedRotationState(ahead, {}), undefined);
        const strange = { ...withoutSlot, expiresAt: periodStart(periodIndex(t0, P) + 40, P) };
        assert.equal(committedRotationState(ahead, strange), ahead);
    });
});

describe("period arithmetic", () => {
    it("puts a boundary instant in the period it starts", () => {
        const P = 180;
        const boundary = periodStartMs(115, P);
        assert.equal(periodIndex(boundary, P), 115);
        assert.equal(periodIndex(boundary - 1, P), 114);
        assert.equal(periodStart(115, P), new Date(115 * 180 * DAY_MS).toISOString().replace(".000Z", "Z"));
    });

    it("gives every instant of a period the same request, so the run time never leaks into end dates", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 7, max: MAX_ROTATION_DAYS }),
                fc.integer({ min: 2000, max: 4000 }),
                fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
                fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
                (P, period, x, y) => {
                    const at = (f: number) => new Date(periodStartMs(period, P) + Math.floor(f * P * DAY_MS));
                    assert.deepEqual(rotationRequest(at(x), P, "k"), rotationRequest(at(y), P, "k"));
                },
            ),
        );
    });

    it("names the slot, generation and end date in the portal description", () => {
        const state = advanceRotation(undefined, rotationRequest(new Date(Date.UTC(2026, 10, 26)), 180, ""));
        const name = slotDisplayName(state.newest, state.slots[state.newest]);
        assert.match(name, /^ucx-mail slot [ab] gen 2 until \d{4}-\d\d-\d\d$/);
        assert.ok(name.endsWith(state.slots[state.newest].expiresAt.slice(0, 10)));
    });
});

describe("exporting only a slot that holds its secret", () => {
    const first = advanceRotation(undefined, rotationRequest(new Date(Date.UTC(2027, 0, 1)), 180, ""));
    const state = advanceRotation(first, rotationRequest(new Date(Date.UTC(2027, 6, 1)), 180, ""));

    it("accepts the newest slot when its resource holds the state's generation", () => {
        assert.doesNotThrow(() => assertNewestSlotHeld(state, String(state.slots[state.newest].generation)));
    });

    it("refuses a slot a run skipped, in the words docs/rotation.md quotes, naming the fix", () => {
        const wanted = state.slots[state.newest].generation;
        for (const held of [String(wanted - 2), undefined]) {
            assert.throws(
                () => assertNewestSlotHeld(state, held),
                new RegExp(
                    `The client secret rotation is not complete: slot ${state.newest} should hold generation ` +
                        `${wanted}, but holds generation ${held ?? "none"}, .*Fix: run pulumi up without --target\\.$`,
                ),
            );
        }
        const docs = readFileSync("docs/rotation.md", "utf8").replace(/\s+/g, " ");
        assert.match(
            docs,
            /`The client secret rotation is not complete: slot b should hold generation 3, but holds generation 1 …`/,
        );
    });
});

describe("secretRotationDays limits", () => {
    it("accepts every period whose double fits 24 months, up to 365 days", () => {
        for (const days of [7, 8, 180, 364, 365]) assert.doesNotThrow(() => assertRotationDays(days));
    });

    it("rejects a period shorter than a week, as the config and the docs do (7-365)", () => {
        for (const days of [1, 2, 6]) {
            assert.throws(
                () => assertRotationDays(days),
                (error: unknown) =>
                    error instanceof RangeError &&
                    error.message.includes("from 7 to 365") &&
                    error.message.includes(`got ${days}`) &&
                    error.message.includes("Fix: pulumi config set --plaintext ucx-mail:secretRotationDays"),
            );
        }
        assert.throws(() => rotationRequest(new Date(), 6, ""), /secretRotationDays/);
        assert.deepEqual(SECRET_ROTATION_DAYS_RANGE, { min: MIN_ROTATION_DAYS, max: MAX_ROTATION_DAYS });
        assert.deepEqual([MIN_ROTATION_DAYS, MAX_ROTATION_DAYS], [7, 365]);
    });

    it("is the range README.md, Pulumi.yaml and docs/rotation.md state", () => {
        const range = new RegExp(`${MIN_ROTATION_DAYS}(–|-| to )${MAX_ROTATION_DAYS}`);
        const readme = readFileSync("README.md", "utf8").split("\n");
        assert.match(readme.find((line) => line.startsWith("| `secretRotationDays`")) ?? "", range);
        assert.match(
            readFileSync("Pulumi.yaml", "utf8").match(/secretRotationDays:[^]*?description: (.*)/)?.[1] ?? "",
            range,
        );
        assert.match(readFileSync("docs/rotation.md", "utf8"), new RegExp(`Any whole number from ${range.source}\\.`));
    });

    it("rejects a period whose double exceeds Entra's 24-month maximum, naming the key and the largest value", () => {
        for (const days of [366, 400, 730]) {
            assert.throws(
                () => assertRotationDays(days),
                (error: unknown) =>
                    error instanceof RangeError &&
                    error.message.includes("secretRotationDays") &&
                    error.message.includes("The largest allowed value is 365") &&
                    error.message.includes(String(days)),
            );
        }
        assert.throws(() => rotationRequest(new Date(), 366, ""), /secretRotationDays/);
    });

    it("rejects a period that is not a whole positive number of days", () => {
        for (const days of [0, -7, 7.5, Number.NaN]) {
            assert.throws(() => assertRotationDays(days), /secretRotationDays must be a whole number/);
        }
    });
});

describe("the clock", () => {
    it("uses the real clock unless UCX_MAIL_NOW is set", () => {
        const before = Date.now();
        const now = currentInstant({}).getTime();
        assert.ok(now >= before && now <= Date.now());
        assert.equal(currentInstant({ UCX_MAIL_NOW: "" }).getTime() >= before, true);
    });

    it("reads an injected instant from UCX_MAIL_NOW", () => {
        assert.equal(
            currentInstant({ UCX_MAIL_NOW: "2031-02-03T04:05:06Z" }).toISOString(),
            "2031-02-03T04:05:06.000Z",
        );
    });

    it("refuses an injected instant it cannot read, naming the variable", () => {
        assert.throws(() => currentInstant({ UCX_MAIL_NOW: "next tuesday" }), /UCX_MAIL_NOW/);
    });
});

describe("state comparison", () => {
    it("treats states with the same values as equal whatever the key order, and different values as different", () => {
        const state = advanceRotation(undefined, rotationRequest(new Date(Date.UTC(2026, 10, 26)), 90, ""));
        const { slots, ...rest } = state;
        const reordered = JSON.parse(JSON.stringify({ slots: { b: slots.b, a: slots.a }, ...rest })) as RotationState;
        assert.ok(sameRotationState(state, reordered));
        const forced = advanceRotation(state, rotationRequest(new Date(Date.UTC(2026, 10, 27)), 90, "x"));
        assert.ok(!sameRotationState(state, forced));
        assert.ok(!sameRotationState(undefined, state));
    });
});
