import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import { mapWithConcurrency } from "../../tools/fleet/boundedConcurrency";

describe("bounded concurrency", () => {
    it("never runs more than the limit at once, uses all of it, and keeps the items' order", async () => {
        let running = 0;
        let most = 0;
        const finished: number[] = [];
        const items = Array.from({ length: 11 }, (_, index) => index);
        const results = await mapWithConcurrency(
            items,
            4,
            async (item) => {
                most = Math.max(most, ++running);
                // Later items finish sooner, so completion order differs from item order.
                await sleep(30 - item * 2);
                running--;
                return item * 10;
            },
            (count) => finished.push(count),
        );
        assert.equal(most, 4);
        assert.deepEqual(
            results,
            items.map((item) => item * 10),
        );
        assert.deepEqual(
            finished,
            items.map((item) => item + 1),
        );
    });

    it("handles no items and a limit above the item count", async () => {
        assert.deepEqual(await mapWithConcurrency([], 8, async () => 1), []);
        assert.deepEqual(await mapWithConcurrency(["a"], 8, async (item) => item.toUpperCase()), ["A"]);
    });

    it("passes a rejection on", async () => {
        await assert.rejects(
            mapWithConcurrency([1, 2, 3], 2, async (item) => {
                if (item === 2) throw new Error("boom");
                return item;
            }),
            /boom/,
        );
    });
});
